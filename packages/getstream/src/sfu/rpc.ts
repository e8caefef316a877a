// Our Twirp client for the SFU: protobuf bodies (`application/protobuf`) or proto3 JSON, the SFU
// token as a bearer token, and both kinds of failure turned into StreamError: a Twirp error
// (non-200, `{code, msg}`) and an answer whose `error` field is set.
import { create, fromBinary, fromJson, type MessageInitShape, toBinary, toJson } from "@bufbuild/protobuf";
import { StreamError } from "../errors.js";
import type { models } from "../proto/index.js";
import { TWIRP_METHODS, TWIRP_SERVICE, type TwirpMethod } from "./twirp.js";

type Input<M extends TwirpMethod> = MessageInitShape<(typeof TWIRP_METHODS)[M]["input"]>;
type Output<M extends TwirpMethod> = ReturnType<typeof create<(typeof TWIRP_METHODS)[M]["output"]>>;

export interface SfuRpcOptions {
  /** `credentials.server.url`, e.g. `https://sfu.example/twirp`. */
  baseUrl: string;
  token: string;
  /** Longest wait for one call. */
  timeoutMs: number;
  /** "protobuf" (as Stream's Python SDK) or "json" (as its JavaScript SDK). */
  encoding: "protobuf" | "json";
}

export class SfuRpc {
  readonly #options: SfuRpcOptions;

  constructor(options: SfuRpcOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
  }

  /** Calls `method`; throws StreamError (code `sfu_rpc`) when the SFU refuses or fails it. */
  async call<M extends TwirpMethod>(method: M, input: Input<M>, signal?: AbortSignal): Promise<Output<M>> {
    const { input: inSchema, output: outSchema } = TWIRP_METHODS[method];
    const request = create(inSchema as never, input as never);
    const json = this.#options.encoding === "json";
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${this.#options.baseUrl}/${TWIRP_SERVICE}/${method}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.#options.token}`,
          "content-type": json ? "application/json" : "application/protobuf",
          accept: json ? "application/json" : "application/protobuf",
        },
        body: json
          ? JSON.stringify(toJson(inSchema as never, request as never))
          : toBinary(inSchema as never, request as never),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new StreamError(
        timeout.aborted
          ? `the SFU did not answer ${method} within ${this.#options.timeoutMs} ms`
          : `cannot reach the SFU for ${method}: ${(error as Error).message}`,
        { code: "sfu_rpc", retryable: true, cause: error },
      );
    }
    if (!response.ok) {
      const text = await response.text();
      let detail = text.slice(0, 200);
      try {
        const body = JSON.parse(text) as { code?: string; msg?: string };
        detail = `${body.code ?? "error"}: ${body.msg ?? ""}`;
      } catch {
        // not a Twirp error body
      }
      throw new StreamError(`the SFU refused ${method}: HTTP ${response.status} ${detail}`, {
        code: "sfu_rpc",
        status: response.status,
        retryable: response.status >= 500,
      });
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = response.headers.get("content-type") ?? "";
    const out = type.includes("json")
      ? fromJson(outSchema as never, JSON.parse(new TextDecoder().decode(bytes)), {
          ignoreUnknownFields: true,
        })
      : fromBinary(outSchema as never, bytes);
    const error = (out as { error?: models.Error }).error;
    if (error !== undefined && (error.code !== 0 || error.message !== "")) {
      throw new StreamError(`the SFU refused ${method}: ${error.message} (code ${error.code})`, {
        code: "sfu_rpc",
        remoteCode: error.code,
        retryable: error.shouldRetry,
      });
    }
    return out as Output<M>;
  }
}
