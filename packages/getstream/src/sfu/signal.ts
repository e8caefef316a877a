// The SFU's signalling WebSocket: binary protobuf both ways (we send SfuRequest frames, the SFU
// sends SfuEvent frames), a health check every `healthCheckIntervalMs`, and the link declared lost
// when nothing at all arrived for `healthCheckTimeoutMs` (closed with 4001, as Stream's JS SDK does).
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Emitter } from "@callwright/webrtc";
import WebSocket from "ws";
import { StreamError } from "../errors.js";
import { events } from "../proto/index.js";

export interface SfuSignalOptions {
  url: string;
  /** Longest wait for the socket to open. */
  connectTimeoutMs: number;
  healthCheckIntervalMs: number;
  /** Nothing received for this long: the link is lost. */
  healthCheckTimeoutMs: number;
}

export type SfuSignalEvents = {
  event: [event: events.SfuEvent];
  /** The socket is gone (closed by either side, or unhealthy). Last event. */
  lost: [reason: string, code: number];
};

/** Close code for "no message for too long" (Stream's JS SDK uses the same). */
export const UNHEALTHY_CLOSE_CODE = 4001;

export class SfuSignal extends Emitter<SfuSignalEvents> {
  readonly #options: SfuSignalOptions;
  #ws: WebSocket | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #lastMessageMs = 0;
  #done = false;

  constructor(options: SfuSignalOptions) {
    super();
    this.#options = options;
  }

  /** Opens the socket; rejects on failure or after `connectTimeoutMs`. */
  async connect(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const ws = new WebSocket(this.#options.url, { handshakeTimeout: this.#options.connectTimeoutMs });
    ws.binaryType = "nodebuffer";
    this.#ws = ws;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        cleanup();
        ws.terminate();
        reject(
          signal?.aborted
            ? signal.reason
            : new StreamError(
                `cannot open the SFU's signalling socket ${this.#options.url}: ${String((error as Error)?.message ?? error)}`,
                {
                  code: "sfu_connection",
                  retryable: true,
                  cause: error,
                },
              ),
        );
      };
      const onAbort = () => fail(signal?.reason);
      const timer = setTimeout(
        () => fail(new Error(`no answer in ${this.#options.connectTimeoutMs} ms`)),
        this.#options.connectTimeoutMs,
      );
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        ws.off("open", onOpen);
        ws.off("error", fail);
      };
      const onOpen = () => {
        cleanup();
        resolve();
      };
      ws.once("open", onOpen);
      ws.once("error", fail);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    this.#lastMessageMs = performance.now();
    ws.on("message", (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on("error", () => {
      // "close" follows and reports it
    });
    ws.on("close", (code, reason) =>
      this.#lost(`the SFU closed the signalling socket (${code} ${reason.toString()})`, code),
    );
    this.#healthTimer = setInterval(() => this.#tick(), this.#options.healthCheckIntervalMs);
  }

  send(request: MessageInitShape<typeof events.SfuRequestSchema>): boolean {
    const ws = this.#ws;
    if (this.#done || ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(toBinary(events.SfuRequestSchema, create(events.SfuRequestSchema, request)));
    return true;
  }

  /** Closes the socket (1000 by default) without a `lost` event. Idempotent. */
  close(code = 1000, reason = ""): void {
    if (this.#done) return;
    this.#done = true;
    clearInterval(this.#healthTimer);
    const ws = this.#ws;
    if (ws !== undefined) {
      ws.removeAllListeners();
      ws.on("error", () => {});
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
      // A peer that never answers the close frame must not keep the socket (and the process) alive.
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    this.removeAllListeners();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#done) return;
    this.#lastMessageMs = performance.now();
    if (!isBinary) return; // the SFU speaks binary protobuf only
    let event: events.SfuEvent;
    try {
      event = fromBinary(events.SfuEventSchema, data);
    } catch {
      return; // a frame we cannot read: ignore it rather than drop the call
    }
    this.emit("event", event);
  }

  #tick(): void {
    if (this.#done) return;
    const silentMs = performance.now() - this.#lastMessageMs;
    if (silentMs >= this.#options.healthCheckTimeoutMs) {
      this.#lost(
        `no message from the SFU for ${Math.round(silentMs)} ms (health check timed out)`,
        UNHEALTHY_CLOSE_CODE,
      );
      return;
    }
    this.send({ requestPayload: { case: "healthCheckRequest", value: {} } });
  }

  #lost(reason: string, code: number): void {
    if (this.#done) return;
    this.emit("lost", reason, code);
    this.close(
      code === UNHEALTHY_CLOSE_CODE ? UNHEALTHY_CLOSE_CODE : 1000,
      code === UNHEALTHY_CLOSE_CODE ? "unhealthy" : "",
    );
  }
}
