// The plugin's errors, on the spec's typed errors: a StreamError is a ProviderError whose `kind`
// (auth, connection, server...) says whether trying again may help, with Stream's own code.
import { ClosedError, ConfigError, ProviderError, type ProviderErrorKind } from "@callwright/spec";

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
  /** The SFU reported an error on the signalling socket, or the link dropped or went silent. */
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
      kind?: ProviderErrorKind;
      status?: number;
      remoteCode?: number;
      retryable?: boolean;
      cause?: unknown;
    },
  ) {
    const kind =
      options.kind ??
      (options.code === "stream_auth"
        ? "auth"
        : options.status === undefined
          ? options.retryable
            ? "connection"
            : "server"
          : undefined);
    super(message, {
      provider: "getstream",
      code: options.code,
      retryable: options.retryable ?? false,
      ...(kind === undefined ? {} : { kind }),
      ...(options.status === undefined ? {} : { status: options.status }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "StreamError";
    this.streamCode = options.code;
    this.remoteCode = options.remoteCode;
  }
}
