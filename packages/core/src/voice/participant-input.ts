import { type Clock, Resampler, Timer, toMono } from "@callwright/provider-utils";
import type { SttModel, VadModel } from "@callwright/spec";
import { type AudioFrame, audioFrame, frameDurationMs } from "@callwright/spec";
import { ProviderError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { MeteredSttStream } from "../stt/metered.js";
import { VadDetector, type VadEvent, type VadOptions } from "./vad-detector.js";

/** What one participant's audio tells the turn logic. Segment ids are per participant. */
export interface ParticipantInputHandler {
  /** Speech began at clock time `startedAtMs` (up to min speech earlier than now). */
  onSpeechStart(input: ParticipantInput, segmentId: number, startedAtMs: number): void;
  /** Called on every frame of speech: its voiced length so far (for barge-in). */
  onSpeechProgress(input: ParticipantInput, segmentId: number, speechMs: number): void;
  /**
   * Speech ended; `lastVoicedAtMs` is the clock time of its last voiced frame, `speechMs` the
   * audio from its start to that frame.
   */
  onSpeechEnd(input: ParticipantInput, segmentId: number, lastVoicedAtMs: number, speechMs: number): void;
  /** The STT itself said the user stopped speaking (a `speech_ended` part). */
  onSttEndOfSpeech?(input: ParticipantInput): void;
  /**
   * The segment's transcript so far; `complete` once the STT answered the segment's flush (or
   * gave up on it). `receivedAtMs`: when this text arrived.
   */
  onTranscript(
    input: ParticipantInput,
    segmentId: number,
    text: string,
    complete: boolean,
    receivedAtMs: number,
  ): void;
  onError(error: Error, source: "stt" | "vad"): void;
}

export interface SttReconnectOptions {
  /** Waits before re-opening a dropped STT stream, ms, one per consecutive failure. */
  backoffMs: readonly number[];
  /** Consecutive failures after which the participant goes untranscribed (an error says so). */
  maxAttempts: number;
}

export const defaultSttReconnectOptions = {
  backoffMs: [0, 250, 1000, 2000, 5000],
  maxAttempts: 10,
} as const satisfies SttReconnectOptions;

export interface ParticipantInputDeps {
  participantId: string;
  vad: VadModel;
  vadOptions: VadOptions;
  stt: SttModel | undefined;
  sttReconnect: SttReconnectOptions;
  language?: string | undefined;
  clock: Clock;
  metrics: MetricsCollector;
  logger: Logger;
  handler: ParticipantInputHandler;
}

interface Segment {
  id: number;
  finals: string[];
  interim: string;
  /** What was sent to STT for it, kept until its final arrives (replayed if the stream drops). */
  audio: AudioFrame[];
  lastVoicedAtMs: number | undefined;
}

const join = (parts: readonly string[]): string =>
  parts
    .map((p) => p.trim())
    .filter(Boolean)
    .join(" ");

/**
 * One participant's ear: edge audio (any rate) → resampled to the VAD's rate → VAD with
 * hysteresis → speech (with its prefix padding) pushed to an STT stream, flushed at the end of
 * each speech segment. Transcripts come back per segment. A dropped STT stream is re-opened
 * (with backoff); segments it owed are reported complete with what was heard.
 */
export class ParticipantInput {
  readonly participantId: string;
  readonly #deps: ParticipantInputDeps;
  readonly #detector: VadDetector;
  readonly #vadRateHz: number;
  #toVad: Resampler | undefined;
  readonly #toStt: Resampler | undefined;
  /** Recent silence (views of VAD-rate frames), sent to STT when speech starts. */
  #padding: Int16Array[] = [];
  #paddingSamples = 0;
  readonly #paddingMaxSamples: number;
  /** Audio time → clock time: the clock time when `#receivedMs` of audio had arrived. */
  #anchorAtMs = 0;
  #receivedMs = 0;
  #nextSegmentId = 1;
  #open: Segment | undefined;
  /** Flushed segments waiting for their final, oldest first. */
  #awaiting: Segment[] = [];
  #stt: MeteredSttStream | undefined;
  #sttAbort: AbortController | undefined;
  #sttFailures = 0;
  #sttPushFailed = false;
  readonly #reopenTimer: Timer;
  #closed = false;

  constructor(deps: ParticipantInputDeps) {
    this.#deps = deps;
    this.participantId = deps.participantId;
    this.#vadRateHz = deps.vad.sampleRateHz;
    this.#detector = new VadDetector(deps.vad, deps.vadOptions, {
      onFrame: (frame, event) => this.#onVadFrame(frame, event),
      onError: (error) => deps.handler.onError(asError(error, "the VAD failed on a frame"), "vad"),
    });
    this.#paddingMaxSamples = Math.round(
      ((deps.vadOptions.prefixPaddingMs + deps.vadOptions.minSpeechMs) * this.#vadRateHz) / 1000,
    );
    if (deps.stt !== undefined && deps.stt.inputSampleRateHz !== this.#vadRateHz) {
      this.#toStt = new Resampler({
        inputSampleRateHz: this.#vadRateHz,
        outputSampleRateHz: deps.stt.inputSampleRateHz,
      });
    }
    this.#reopenTimer = new Timer(deps.clock);
    this.#openStt();
  }

  get speaking(): boolean {
    return this.#detector.speaking;
  }

  /** Mono (or interleaved, downmixed here) PCM from the edge, at any rate. */
  push(frame: AudioFrame): void {
    if (this.#closed || frame.samples.length === 0) return;
    const mono = toMono(frame);
    if (this.#toVad?.inputSampleRateHz !== mono.sampleRateHz) {
      this.#toVad = new Resampler({
        inputSampleRateHz: mono.sampleRateHz,
        outputSampleRateHz: this.#vadRateHz,
      });
    }
    this.#anchorAtMs = this.#deps.clock.now();
    this.#receivedMs += frameDurationMs(mono);
    this.#detector.push(this.#toVad.process(mono.samples));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reopenTimer.clear();
    this.#detector.close();
    this.#closeStt();
    this.#padding = [];
  }

  /** The clock time at which audio time `audioMs` was heard. */
  #clockAt(audioMs: number): number {
    return this.#anchorAtMs - Math.max(0, this.#receivedMs - audioMs);
  }

  #onVadFrame(frame: Int16Array, event: VadEvent): void {
    const { handler } = this.#deps;
    const detector = this.#detector;
    if (event === "speech_start") {
      const segment: Segment = {
        id: this.#nextSegmentId++,
        finals: [],
        interim: "",
        audio: [],
        lastVoicedAtMs: undefined,
      };
      this.#open = segment;
      for (const padded of this.#padding) this.#pushStt(padded);
      this.#padding = [];
      this.#paddingSamples = 0;
      this.#pushStt(frame);
      handler.onSpeechStart(this, segment.id, this.#clockAt(detector.speechStartMs));
      handler.onSpeechProgress(this, segment.id, detector.speechMs);
      return;
    }
    if (event === "speech_end") {
      this.#pushStt(frame);
      const segment = this.#open!;
      this.#open = undefined;
      const lastVoicedAtMs = this.#clockAt(detector.lastVoicedEndMs);
      segment.lastVoicedAtMs = lastVoicedAtMs;
      handler.onSpeechEnd(
        this,
        segment.id,
        lastVoicedAtMs,
        detector.lastVoicedEndMs - detector.speechStartMs,
      );
      if (this.#deps.stt === undefined) {
        // Nobody to transcribe it: the segment is complete, with no words.
        handler.onTranscript(this, segment.id, "", true, this.#deps.clock.now());
      } else {
        // Answered by this stream, or replayed into the next one if this one is down.
        this.#awaiting.push(segment);
        this.#stt?.flush(lastVoicedAtMs);
      }
      return;
    }
    if (detector.speaking) {
      this.#pushStt(frame);
      handler.onSpeechProgress(this, this.#open!.id, detector.speechMs);
      return;
    }
    this.#padding.push(frame);
    this.#paddingSamples += frame.length;
    while (this.#paddingSamples - this.#padding[0]!.length >= this.#paddingMaxSamples) {
      this.#paddingSamples -= this.#padding.shift()!.length;
    }
  }

  #pushStt(samples: Int16Array): void {
    if (this.#deps.stt === undefined) return;
    const frame =
      this.#toStt === undefined
        ? audioFrame(samples, this.#vadRateHz)
        : audioFrame(this.#toStt.process(samples), this.#toStt.outputSampleRateHz);
    this.#open?.audio.push(frame);
    this.#sendStt(frame);
  }

  #sendStt(frame: AudioFrame): void {
    const stt = this.#stt;
    if (stt === undefined) return;
    try {
      stt.push(frame);
    } catch (error) {
      // A plugin that throws on push would throw on every frame: report it once per stream.
      if (!this.#sttPushFailed) {
        this.#sttPushFailed = true;
        this.#deps.handler.onError(asError(error, "the STT refused audio"), "stt");
      }
    }
  }

  #openStt(): void {
    const { stt, clock, metrics } = this.#deps;
    if (stt === undefined || this.#closed) return;
    const controller = new AbortController();
    let inner: ReturnType<SttModel["stream"]>;
    try {
      inner = stt.stream({
        signal: controller.signal,
        participantId: this.participantId,
        ...(this.#deps.language === undefined ? {} : { language: this.#deps.language }),
      });
    } catch (error) {
      this.#sttFailed(asError(error, "the STT stream could not be opened"));
      return;
    }
    const stream = new MeteredSttStream(inner, { metrics, clock });
    this.#stt = stream;
    this.#sttAbort = controller;
    this.#sttPushFailed = false;
    void this.#consume(stream, controller.signal);
    // A re-opened stream first hears again what the dropped one did not answer.
    for (const segment of this.#awaiting) {
      segment.finals = [];
      segment.interim = "";
      for (const frame of segment.audio) this.#sendStt(frame);
      stream.flush(segment.lastVoicedAtMs ?? clock.now());
    }
    if (this.#open !== undefined) for (const frame of this.#open.audio) this.#sendStt(frame);
  }

  async #consume(stream: MeteredSttStream, signal: AbortSignal): Promise<void> {
    const { handler } = this.#deps;
    let failure: Error | undefined;
    try {
      for await (const part of stream) {
        if (signal.aborted) return;
        switch (part.type) {
          case "interim": {
            const segment = this.#awaiting[0] ?? this.#open;
            if (segment === undefined) break;
            segment.interim = part.text;
            handler.onTranscript(
              this,
              segment.id,
              join([...segment.finals, part.text]),
              false,
              part.receivedAtMs,
            );
            break;
          }
          case "final": {
            if (part.segmentEnd) {
              this.#sttFailures = 0;
              const segment = this.#awaiting.shift();
              if (segment === undefined) break;
              segment.audio = [];
              segment.finals.push(part.text);
              handler.onTranscript(this, segment.id, join(segment.finals), true, part.receivedAtMs);
            } else {
              const segment = this.#awaiting[0] ?? this.#open;
              if (segment === undefined) break;
              segment.finals.push(part.text);
              segment.interim = "";
              handler.onTranscript(this, segment.id, join(segment.finals), false, part.receivedAtMs);
            }
            break;
          }
          case "error":
            if (part.recoverable) handler.onError(part.error, "stt");
            else failure = part.error;
            break;
          case "speech_started":
            break;
          case "speech_ended":
            handler.onSttEndOfSpeech?.(this);
            break;
        }
        if (failure !== undefined) break;
      }
    } catch (error) {
      if (signal.aborted) return;
      failure = asError(error, "the STT stream failed");
    }
    if (signal.aborted || this.#closed || this.#stt !== stream) return;
    this.#sttFailed(
      failure ?? new ProviderError("the STT stream ended unexpectedly", { provider: this.#sttProvider() }),
    );
  }

  /**
   * The stream is gone: say so and re-open it (at once the first time, then with backoff); the
   * new stream hears the unanswered speech again. After `maxAttempts` failures in a row, the
   * segments it owed are settled with what was heard and the participant goes untranscribed.
   */
  #sttFailed(error: Error): void {
    this.#closeStt();
    this.#sttFailures += 1;
    const { backoffMs, maxAttempts } = this.#deps.sttReconnect;
    const giveUp = this.#sttFailures >= maxAttempts;
    if (giveUp) {
      const now = this.#deps.clock.now();
      for (const segment of this.#awaiting) {
        this.#deps.handler.onTranscript(
          this,
          segment.id,
          join([...segment.finals, segment.interim]),
          true,
          now,
        );
      }
      this.#awaiting = [];
    }
    this.#deps.handler.onError(
      new ProviderError(
        giveUp
          ? `the STT failed ${this.#sttFailures} times in a row; participant ${this.participantId} is no longer transcribed: ${error.message}`
          : `the STT stream dropped (${error.message}); re-opening it`,
        { provider: this.#sttProvider(), cause: error, retryable: !giveUp },
      ),
      "stt",
    );
    if (giveUp || this.#closed) return;
    const wait = backoffMs[Math.min(this.#sttFailures - 1, backoffMs.length - 1)] ?? 0;
    if (wait <= 0) this.#openStt();
    else this.#reopenTimer.set(wait, () => this.#openStt());
  }

  #closeStt(): void {
    const stream = this.#stt;
    this.#stt = undefined;
    try {
      stream?.end();
    } catch {
      // Ending a broken stream: the abort below releases it either way.
    }
    this.#sttAbort?.abort();
    this.#sttAbort = undefined;
  }

  #sttProvider(): string {
    return this.#deps.stt?.provider ?? "stt";
  }
}

function asError(error: unknown, context: string): Error {
  if (error instanceof Error) return error;
  return new Error(`${context}: ${String(error)}`);
}
