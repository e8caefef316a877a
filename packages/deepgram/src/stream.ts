// One live recognition stream: a `/v1/listen` WebSocket that hears the pushed PCM, answers each
// `flush()` with exactly one segment-ending final, keeps itself open with KeepAlive while the
// voice loop sends nothing, and reconnects on its own only when the drop lost nothing.
import {
  AsyncQueue,
  abortError,
  type Clock,
  ProviderSocket,
  type SocketClose,
  type SocketMessage,
  systemClock,
  Timer,
} from "@callwright/provider-utils";
import {
  type AudioFrame,
  ClosedError,
  ProviderError,
  StateError,
  type SttPart,
  type SttStream,
} from "@callwright/spec";
import { closeError, closeKind, PROVIDER, protocolError, refusalHint, WHERE } from "./errors.js";
import type { STTOptions } from "./options.js";
import {
  bestAlternative,
  CLOSE_STREAM,
  FINALIZE,
  KEEP_ALIVE,
  listenUrl,
  parseServerMessage,
  type WireResults,
} from "./wire.js";

/**
 * Deepgram's result times and ours (counted from samples pushed) may differ by rounding; a final
 * ending this close to a flush's boundary covers it.
 */
const COVERAGE_TOLERANCE_MS = 40;

/** A `flush()` not answered yet: everything pushed before `boundaryMs` (stream audio time) belongs to it. */
interface PendingFlush {
  boundaryMs: number;
  /** False when no audio came since the previous flush: nothing to finalize, nothing to wait for. */
  needsFinalize: boolean;
  /** Runs from when its `Finalize` is written; settles the segment if Deepgram never answers. */
  timer: Timer;
}

type Outgoing =
  | { kind: "audio"; data: Uint8Array }
  | { kind: "finalize"; flush: PendingFlush }
  | { kind: "close" };

export interface DeepgramStreamInit {
  options: STTOptions;
  apiKey: string;
  signal: AbortSignal;
  language: string | undefined;
  clock?: Clock;
  onDone: () => void;
}

export class DeepgramStream implements SttStream {
  readonly #options: STTOptions;
  readonly #apiKey: string;
  readonly #language: string | undefined;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;
  readonly #onDone: () => void;
  /** Aborts a connect in flight when the stream stops. */
  readonly #connectAbort = new AbortController();
  readonly #parts = new AsyncQueue<SttPart>();
  readonly #reconnectTimer: Timer;
  readonly #closeTimer: Timer;
  #socket: ProviderSocket | undefined;
  #connecting = false;
  /** Messages waiting for the socket to open, in order. */
  #outbox: Outgoing[] = [];
  // The current socket's audio timeline (Deepgram's `start`/`duration` count from its first sample).
  #samples = 0;
  #lastBoundaryMs = 0;
  #answeredUpToMs = 0;
  #finalEndMs = 0;
  /** The latest interim hypothesis since the last final (settles a segment Deepgram never finalized). */
  #interim = "";
  #pending: PendingFlush[] = [];
  #wordsSinceSpeechEnded = false;
  #reconnects = 0;
  /** An in-band `Error` message, reported with the close that follows it. */
  #serverError: ProviderError | undefined;
  #ended = false;
  #done = false;
  readonly #onAbort = () => this.#stop(abortError(this.#signal));

  constructor(init: DeepgramStreamInit) {
    this.#options = init.options;
    this.#apiKey = init.apiKey;
    this.#language = init.language;
    this.#signal = init.signal;
    this.#clock = init.clock ?? systemClock;
    this.#onDone = init.onDone;
    this.#reconnectTimer = new Timer(this.#clock);
    this.#closeTimer = new Timer(this.#clock);
    if (this.#signal.aborted) {
      this.#stop(abortError(this.#signal));
      return;
    }
    this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    this.#connect();
  }

  /** True once the stream is over (ended, failed, aborted or closed). */
  get finished(): boolean {
    return this.#done;
  }

  [Symbol.asyncIterator](): AsyncIterator<SttPart> {
    return this.#parts[Symbol.asyncIterator]();
  }

  push(frame: AudioFrame): void {
    if (this.#ended) throw new StateError("deepgram.STT stream: push() after end()", { code: "stt_ended" });
    if (frame.sampleRateHz !== this.#options.inputSampleRateHz || frame.channels !== 1) {
      throw new RangeError(
        `deepgram.STT takes mono PCM at ${this.#options.inputSampleRateHz} Hz (inputSampleRateHz), got ${frame.channels} channel(s) at ${frame.sampleRateHz} Hz`,
      );
    }
    if (this.#done || frame.samples.length === 0) return; // an empty binary message would end Deepgram's stream
    const { samples } = frame;
    this.#samples += samples.length;
    // 16-bit little-endian, as linear16 is; the frame's buffer is not reused by its producer.
    this.#send({
      kind: "audio",
      data: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength),
    });
  }

  flush(): void {
    if (this.#ended) throw new StateError("deepgram.STT stream: flush() after end()", { code: "stt_ended" });
    if (this.#done) return;
    const boundaryMs = this.#audioMs();
    const flush: PendingFlush = {
      boundaryMs,
      needsFinalize: boundaryMs > this.#lastBoundaryMs,
      timer: new Timer(this.#clock),
    };
    this.#lastBoundaryMs = boundaryMs;
    this.#pending.push(flush);
    if (flush.needsFinalize) this.#send({ kind: "finalize", flush });
    this.#settle();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#done) return;
    const owesAudio = this.#outbox.some((m) => m.kind === "audio") || this.#pending.length > 0;
    if (this.#socket === undefined && !owesAudio) {
      // Nothing was said on a socket that is not open yet (or is being re-opened): nothing to wait for.
      this.#finish();
      return;
    }
    this.#closeTimer.set(this.#options.closeTimeoutMs, () => {
      this.#settleAll();
      this.#finish();
    });
    this.#send({ kind: "close" });
  }

  // --- the socket -----------------------------------------------------------------------------

  #connect(): void {
    this.#connecting = true;
    const url = listenUrl(this.#options, this.#language);
    ProviderSocket.connect(url, {
      provider: PROVIDER,
      where: WHERE,
      headers: { authorization: `Token ${this.#apiKey}` },
      connectTimeoutMs: this.#options.connectTimeoutMs,
      signal: this.#connectAbort.signal,
      keepAlive: { intervalMs: this.#options.keepAliveIntervalMs, message: KEEP_ALIVE },
      closeKind,
      refusalHint,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      clock: this.#clock,
    }).then(
      (socket) => this.#opened(socket),
      (error: unknown) => this.#connectFailed(error),
    );
  }

  #opened(socket: ProviderSocket): void {
    this.#connecting = false;
    if (this.#done) {
      void socket.close();
      return;
    }
    this.#socket = socket;
    socket.on("message", (message) => this.#onMessage(message));
    socket.on("close", (close) => this.#onClose(socket, close));
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const message of outbox) this.#write(socket, message);
  }

  #connectFailed(error: unknown): void {
    this.#connecting = false;
    if (this.#done) return;
    const failure =
      error instanceof Error
        ? error
        : new ProviderError(String(error), { provider: PROVIDER, kind: "connection" });
    if (this.#ended && !this.#outbox.some((m) => m.kind === "audio") && this.#pending.length === 0) {
      this.#finish();
      return;
    }
    if (this.#reconnects > 0 && this.#canReconnect(failure)) {
      this.#scheduleReconnect();
      return;
    }
    this.#fail(failure);
  }

  #send(message: Outgoing): void {
    const socket = this.#socket;
    if (socket === undefined || !socket.open) this.#outbox.push(message);
    else this.#write(socket, message);
  }

  #write(socket: ProviderSocket, message: Outgoing): void {
    switch (message.kind) {
      case "audio":
        socket.send(message.data);
        return;
      case "finalize": {
        socket.send(FINALIZE);
        const flush = message.flush;
        flush.timer.set(this.#options.finalizeTimeoutMs, () => this.#finalizeTimedOut(flush));
        return;
      }
      case "close":
        socket.send(CLOSE_STREAM);
        return;
    }
  }

  #onMessage(message: SocketMessage): void {
    if (this.#done) return;
    if (message.binary) {
      this.#parts.push({
        type: "error",
        error: protocolError("Deepgram sent a binary message"),
        recoverable: true,
      });
      return;
    }
    const parsed = parseServerMessage(message.data);
    if ("invalid" in parsed) {
      this.#parts.push({
        type: "error",
        error: protocolError(`Deepgram sent a message we cannot read (${parsed.invalid}); it was skipped.`),
        recoverable: true,
      });
      return;
    }
    switch (parsed.type) {
      case "Results":
        this.#reconnects = 0;
        this.#onResults(parsed);
        return;
      case "SpeechStarted":
        this.#parts.push({ type: "speech_started" });
        return;
      case "UtteranceEnd":
        if (this.#wordsSinceSpeechEnded) {
          this.#wordsSinceSpeechEnded = false;
          this.#parts.push({ type: "speech_ended" });
        }
        return;
      case "Metadata":
        return; // the summary after CloseStream; Deepgram closes next
      case "Error": {
        const said = parsed.description ?? parsed.message ?? parsed.err_code ?? "no description";
        this.#serverError = new ProviderError(`Deepgram reported an error: ${said}`, {
          provider: PROVIDER,
          kind: "server",
          code: "deepgram_server",
          retryable: true,
        });
        return;
      }
      default:
        return; // a message type added after this plugin was written: nothing we need
    }
  }

  #onResults(results: WireResults): void {
    const endMs = (results.start + results.duration) * 1000;
    const { text, confidence } = bestAlternative(results);
    if (results.is_final !== true) {
      if (text !== "") {
        this.#interim = text;
        this.#wordsSinceSpeechEnded = true;
        this.#parts.push({ type: "interim", text });
      } else {
        this.#interim = "";
        // Deepgram has heard up to `endMs` and found no word since the last final: a segment
        // whose boundary lies before that is complete (its Finalize may go unanswered).
        const head = this.#pending[0];
        if (head !== undefined && endMs >= head.boundaryMs - COVERAGE_TOLERANCE_MS) {
          this.#finalEndMs = Math.max(this.#finalEndMs, endMs);
          this.#settle();
        }
      }
      return;
    }
    this.#interim = "";
    this.#finalEndMs = Math.max(this.#finalEndMs, endMs);
    if (text !== "") this.#wordsSinceSpeechEnded = true;
    const head = this.#pending[0];
    const lateAnswer =
      results.from_finalize === true &&
      endMs <= this.#answeredUpToMs + COVERAGE_TOLERANCE_MS &&
      (head === undefined || head.boundaryMs > this.#answeredUpToMs + COVERAGE_TOLERANCE_MS);
    if (
      !lateAnswer &&
      head !== undefined &&
      (results.from_finalize === true || endMs >= head.boundaryMs - COVERAGE_TOLERANCE_MS)
    ) {
      this.#answer(head, text, confidence);
    } else if (text !== "") {
      this.#parts.push(
        confidence === undefined
          ? { type: "final", text, segmentEnd: false }
          : { type: "final", text, segmentEnd: false, confidence },
      );
    }
    if (results.speech_final === true && this.#wordsSinceSpeechEnded) {
      this.#wordsSinceSpeechEnded = false;
      this.#parts.push({ type: "speech_ended" });
    }
    this.#settle();
  }

  /** Answers the oldest pending flush with `text` (Deepgram's segment-ending final). */
  #answer(flush: PendingFlush, text: string, confidence?: number): void {
    if (this.#pending[0] !== flush) return;
    this.#pending.shift();
    flush.timer.clear();
    this.#answeredUpToMs = Math.max(this.#answeredUpToMs, flush.boundaryMs);
    this.#parts.push(
      confidence === undefined
        ? { type: "final", text, segmentEnd: true }
        : { type: "final", text, segmentEnd: true, confidence },
    );
  }

  /** Answers the flushes whose audio is already fully transcribed (or that had none). */
  #settle(): void {
    for (;;) {
      const head = this.#pending[0];
      if (head === undefined) return;
      const covered = this.#finalEndMs >= head.boundaryMs - COVERAGE_TOLERANCE_MS;
      if (!head.needsFinalize || covered) this.#answer(head, "");
      else return;
    }
  }

  /** Deepgram did not answer a Finalize in time: settle up to it with what was heard. */
  #finalizeTimedOut(flush: PendingFlush): void {
    while (!this.#done && this.#pending.includes(flush)) {
      const text = this.#interim;
      this.#interim = "";
      this.#answer(this.#pending[0]!, text);
    }
  }

  #settleAll(): void {
    while (this.#pending.length > 0) {
      const text = this.#interim;
      this.#interim = "";
      this.#answer(this.#pending[0]!, text);
    }
  }

  #onClose(socket: ProviderSocket, close: SocketClose): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    if (this.#done) return;
    if (this.#ended && this.#outbox.length === 0) {
      // After CloseStream: Deepgram sent its last results and Metadata, then closed.
      this.#settleAll();
      this.#finish();
      return;
    }
    const error = this.#serverError ?? closeError(close, { sampleRateHz: this.#options.inputSampleRateHz });
    this.#serverError = undefined;
    if (!this.#owes() && this.#canReconnect(error)) {
      // Nothing was lost: a fresh socket (with a fresh audio timeline) takes over.
      this.#resetTimeline();
      this.#parts.push({
        type: "error",
        error: new ProviderError(`${error.message} Nothing was lost; reconnecting.`, {
          provider: PROVIDER,
          kind: error instanceof ProviderError ? error.kind : "connection",
          code: error instanceof ProviderError ? error.code : "deepgram_connection",
          retryable: true,
          cause: error,
        }),
        recoverable: true,
      });
      this.#scheduleReconnect();
      return;
    }
    this.#fail(error);
  }

  /** Whether the stream owes a transcript: audio sent or queued that no segment-ending final covered. */
  #owes(): boolean {
    return (
      this.#pending.length > 0 ||
      this.#outbox.some((m) => m.kind === "audio") ||
      this.#audioMs() > this.#answeredUpToMs + COVERAGE_TOLERANCE_MS
    );
  }

  #canReconnect(error: Error): boolean {
    return (
      error instanceof ProviderError && error.retryable && this.#reconnects < this.#options.maxReconnects
    );
  }

  #scheduleReconnect(): void {
    const attempt = this.#reconnects;
    this.#reconnects += 1;
    const delayMs = attempt === 0 ? 0 : this.#options.reconnectBaseDelayMs * 2 ** (attempt - 1);
    this.#reconnectTimer.set(delayMs, () => {
      if (!this.#done) this.#connect();
    });
  }

  #resetTimeline(): void {
    this.#samples = 0;
    this.#lastBoundaryMs = 0;
    this.#answeredUpToMs = 0;
    this.#finalEndMs = 0;
    this.#interim = "";
    this.#wordsSinceSpeechEnded = false;
  }

  #audioMs(): number {
    return (this.#samples * 1000) / this.#options.inputSampleRateHz;
  }

  // --- endings --------------------------------------------------------------------------------

  /** The stream is over with an error the voice loop acts on (it re-opens and replays). */
  #fail(error: Error): void {
    if (this.#done) return;
    this.#parts.push({ type: "error", error, recoverable: false });
    this.#finish();
  }

  /** Aborted or closed by the model: release everything and make the iterator throw. */
  #stop(error: Error): void {
    if (this.#done) return;
    this.#parts.fail(error);
    this.#finish();
  }

  /** Closes from `STT.close()`. */
  closeFromModel(): void {
    this.#stop(new ClosedError("deepgram.STT"));
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#ended = true;
    for (const flush of this.#pending) flush.timer.clear();
    this.#pending = [];
    this.#outbox = [];
    this.#reconnectTimer.clear();
    this.#closeTimer.clear();
    this.#signal.removeEventListener("abort", this.#onAbort);
    if (this.#connecting) this.#connectAbort.abort();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) void socket.close();
    this.#parts.end();
    this.#onDone();
  }
}
