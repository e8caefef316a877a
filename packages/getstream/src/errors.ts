// The plugin's errors, on core's error classes (the one place this package reaches into core's
// runtime; it moves to @callwright/spec when that package lands).
import { ClosedError, ConfigError, ProviderError } from "callwright";

export { ClosedError, ConfigError };

export type StreamErrorCode =
  /** Stream refused our credentials (401/403). */
  | "stream_auth"
  /** A coordinator REST call failed (status, code and message in the text). */
  | "stream_api"
  /** The SFU refused the join, or did not answer it in time. */
  | "sfu_join"
  /** An SFU RPC (Twirp) call failed. */
  | "sfu_rpc"
  /** The SFU reported an error on the signalling socket. */
  | "sfu_error"
  /** The signalling socket dropped or went silent. */
  | "sfu_connection";

/** Something Stream (coordinator or SFU) did or refused; `retryable` says whether trying again may help. */
export class StreamError extends ProviderError {
  readonly streamCode: StreamErrorCode;
  /** Stream's own error code (coordinator `code`, or the SFU's ErrorCode number), when it gave one. */
  readonly remoteCode: number | undefined;

  constructor(
    message: string,
    options: {
      code: StreamErrorCode;
      status?: number;
      remoteCode?: number;
      retryable?: boolean;
      cause?: unknown;
    },
  ) {
    super(message, {
      provider: "getstream",
      code: options.code,
      retryable: options.retryable ?? false,
      ...(options.status === undefined ? {} : { status: options.status }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "StreamError";
    this.streamCode = options.code;
    this.remoteCode = options.remoteCode;
  }
}
