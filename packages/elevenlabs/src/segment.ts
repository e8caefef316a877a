// One segment of a reply: the text between two flushes, spoken by one ElevenLabs stream (a
// socket or a context). It remembers what it sent, so a failure before its first audio is
// retried on a fresh transport (bounded); a stall while it owes audio is a timeout.
import { type Clock, Timer } from "@callwright/provider-utils";
import { ProviderError } from "@callwright/spec";
import { PROVIDER, WHERE } from "./errors.js";
import type { TTSOptions } from "./options.js";
import type { Transport, TransportHandlers } from "./transports.js";
import { decodePcm, type ServerMessage, type WireAlignment } from "./wire.js";

/** What a segment reports to its reply. */
export interface SegmentSink {
  audio(samples: Int16Array, alignment: WireAlignment | undefined): void;
  /** All its audio is out. */
  done(): void;
  /** It failed for good (no audio will follow). */
  failed(error: Error): void;
}

export type TransportFactory = (handlers: TransportHandlers) => Transport;

export class Segment {
  readonly #newTransport: TransportFactory;
  readonly #sink: SegmentSink;
  readonly #options: TTSOptions;
  readonly #watchdog: Timer;
  readonly #retryTimer: Timer;
  /** What was sent, replayed on a retry. */
  readonly #sent: { text: string; flush: boolean }[] = [];
  #transport: Transport;
  #attempt = 0;
  #finished = false;
  #gotAudio = false;
  /** Waiting for the first audio after a flush (the watchdog runs). */
  #awaitingFlush = false;
  #over = false;

  constructor(newTransport: TransportFactory, sink: SegmentSink, options: TTSOptions, clock: Clock) {
    this.#newTransport = newTransport;
    this.#sink = sink;
    this.#options = options;
    this.#watchdog = new Timer(clock);
    this.#retryTimer = new Timer(clock);
    this.#transport = this.#start();
  }

  /** True once any text was sent. */
  get hasText(): boolean {
    return this.#sent.length > 0;
  }

  get over(): boolean {
    return this.#over;
  }

  send(text: string, flush: boolean): void {
    if (this.#over || this.#finished) return;
    this.#sent.push({ text, flush });
    this.#transport.send(text, flush);
    if (flush) this.#expectAudio(true);
  }

  /** No more text. A segment that never got any is over at once. */
  finish(): void {
    if (this.#over || this.#finished) return;
    this.#finished = true;
    if (this.#sent.length === 0) {
      this.#end();
      this.#transport.abort();
      this.#sink.done();
      return;
    }
    this.#transport.finish();
    this.#expectAudio(false);
  }

  abort(): void {
    if (this.#over) return;
    this.#end();
    this.#transport.abort();
  }

  #start(): Transport {
    const attempt = this.#attempt;
    return this.#newTransport({
      message: (m) => {
        if (this.#attempt === attempt) this.#onMessage(m);
      },
      failed: (e) => {
        if (this.#attempt === attempt) this.#onFailed(e);
      },
    });
  }

  #onMessage(message: ServerMessage): void {
    if (this.#over) return;
    if (typeof message.audio === "string" && message.audio !== "") {
      this.#gotAudio = true;
      this.#awaitingFlush = false;
      const alignment = message.alignment ?? message.normalizedAlignment ?? undefined;
      this.#sink.audio(decodePcm(message.audio), alignment);
    }
    if (message.isFinal === true) {
      this.#end();
      this.#sink.done();
      return;
    }
    // Still owed audio: the rest of a finished segment, or a flush's first chunk.
    if (this.#finished || this.#awaitingFlush) this.#armWatchdog();
    else this.#watchdog.clear();
  }

  #onFailed(error: ProviderError): void {
    if (this.#over) return;
    this.#watchdog.clear();
    if (!this.#gotAudio && error.retryable && this.#attempt < this.#options.maxRetries) {
      this.#attempt += 1;
      const delayMs = this.#options.retryBaseDelayMs * 2 ** (this.#attempt - 1);
      this.#retryTimer.set(delayMs, () => {
        if (this.#over) return;
        this.#transport = this.#start();
        for (const { text, flush } of this.#sent) this.#transport.send(text, flush);
        if (this.#finished) this.#transport.finish();
        if (this.#finished || this.#sent.some((s) => s.flush)) this.#expectAudio(!this.#finished);
      });
      return;
    }
    this.#end();
    this.#sink.failed(error);
  }

  #expectAudio(afterFlush: boolean): void {
    if (afterFlush) this.#awaitingFlush = true;
    this.#armWatchdog();
  }

  #armWatchdog(): void {
    const timeoutMs = this.#options.responseTimeoutMs;
    this.#watchdog.set(timeoutMs, () => {
      const transport = this.#transport;
      this.#onFailed(
        new ProviderError(
          `${WHERE} sent nothing for ${timeoutMs} ms while it owed audio (option responseTimeoutMs).`,
          { provider: PROVIDER, kind: "timeout", code: "elevenlabs_timeout", retryable: true },
        ),
      );
      transport.abort();
    });
  }

  #end(): void {
    this.#over = true;
    this.#watchdog.clear();
    this.#retryTimer.clear();
  }
}
