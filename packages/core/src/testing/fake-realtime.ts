import { AsyncQueue } from "@callwright/provider-utils";
import type {
  AudioFrame,
  RealtimeConnectOptions,
  RealtimeEvent,
  RealtimeModel,
  RealtimeSession,
  RealtimeToolResult,
} from "@callwright/spec";
import { tone } from "./signals.js";

export interface FakeRealtimeOptions {
  /** Default 16000. */
  inputSampleRateHz?: number;
  /** Default 24000. */
  outputSampleRateHz?: number;
  /** Makes `connect` fail, to test start-up errors. */
  failConnect?: Error;
}

/**
 * A scripted speech-to-speech model for tests: each `connect` makes a `FakeRealtimeSession` that
 * records what the loop sends (audio, text, tool results, truncations) and yields whatever the
 * test `emit`s, with helpers for a whole spoken answer.
 */
export class FakeRealtime implements RealtimeModel {
  readonly specificationVersion = "v1";
  readonly modelType = "realtime";
  readonly provider = "fake";
  readonly modelId = "fake-realtime";
  readonly inputSampleRateHz: number;
  readonly outputSampleRateHz: number;
  /** Every session opened, newest last. */
  readonly sessions: FakeRealtimeSession[] = [];
  readonly #failConnect: Error | undefined;
  readonly #waiters: ((session: FakeRealtimeSession) => void)[] = [];

  constructor(options: FakeRealtimeOptions = {}) {
    this.inputSampleRateHz = options.inputSampleRateHz ?? 16000;
    this.outputSampleRateHz = options.outputSampleRateHz ?? 24000;
    this.#failConnect = options.failConnect;
  }

  async connect(options: RealtimeConnectOptions): Promise<FakeRealtimeSession> {
    if (this.#failConnect !== undefined) throw this.#failConnect;
    const session = new FakeRealtimeSession(options, this.outputSampleRateHz);
    this.sessions.push(session);
    for (const waiter of this.#waiters.splice(0)) waiter(session);
    return session;
  }

  /** The latest session, once one is open. */
  session(): Promise<FakeRealtimeSession> {
    const last = this.sessions.at(-1);
    if (last !== undefined) return Promise.resolve(last);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

export class FakeRealtimeSession implements RealtimeSession {
  readonly options: RealtimeConnectOptions;
  /** Every frame the loop pushed. */
  readonly audio: AudioFrame[] = [];
  readonly texts: string[] = [];
  readonly toolResults: RealtimeToolResult[] = [];
  readonly truncations: { responseId: string; playedMs: number }[] = [];
  cancels = 0;
  instructions: string;
  closed = false;
  readonly #queue = new AsyncQueue<RealtimeEvent>();
  readonly #outputSampleRateHz: number;
  #responses = 0;

  constructor(options: RealtimeConnectOptions, outputSampleRateHz: number) {
    this.options = options;
    this.instructions = options.instructions;
    this.#outputSampleRateHz = outputSampleRateHz;
    options.signal.addEventListener("abort", () => void this.close(), { once: true });
  }

  /** Milliseconds of audio pushed so far (at the model's input rate). */
  get audioMs(): number {
    let ms = 0;
    for (const f of this.audio) ms += (f.samples.length * 1000) / f.sampleRateHz;
    return ms;
  }

  [Symbol.asyncIterator](): AsyncIterator<RealtimeEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  pushAudio(frame: AudioFrame): void {
    if (!this.closed) this.audio.push(frame);
  }
  sendText(text: string): void {
    this.texts.push(text);
  }
  sendToolResult(result: RealtimeToolResult): void {
    this.toolResults.push(result);
  }
  cancelResponse(): void {
    this.cancels += 1;
  }
  truncate(responseId: string, playedMs: number): void {
    this.truncations.push({ responseId, playedMs });
  }
  updateInstructions(instructions: string): void {
    this.instructions = instructions;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#queue.end();
  }

  // ---- test controls ----

  emit(event: RealtimeEvent): void {
    if (!this.closed) this.#queue.push(event);
  }

  /**
   * A whole answer: response start, `text` as transcript, `audioMs` of a 440 Hz tone (in 40 ms
   * chunks), and its end unless `end: false`. Returns the response id.
   */
  answer(text: string, options: { audioMs?: number; end?: boolean; id?: string } = {}): string {
    this.#responses += 1;
    const id = options.id ?? `resp_${this.#responses}`;
    const audio = tone({
      durationMs: options.audioMs ?? 400,
      sampleRateHz: this.#outputSampleRateHz,
      frequencyHz: 440,
    });
    this.emit({ type: "response_started", responseId: id });
    this.emit({ type: "output_transcript", responseId: id, delta: text });
    const chunk = Math.round(this.#outputSampleRateHz * 0.04);
    for (let i = 0; i < audio.samples.length; i += chunk) {
      this.emit({
        type: "audio",
        responseId: id,
        frame: {
          samples: audio.samples.subarray(i, i + chunk),
          sampleRateHz: audio.sampleRateHz,
          channels: 1,
        },
      });
    }
    if (options.end !== false) this.emit({ type: "response_done", responseId: id, reason: "completed" });
    return id;
  }
}
