import type { Clock } from "@callwright/provider-utils";
import { AsyncQueue, Framer, Resampler, toMono } from "@callwright/provider-utils";
import type { ChatMessage, LlmModel, TtsModel, TtsTiming } from "@callwright/spec";
import { audioFrame } from "@callwright/spec";
import { ConfigError, isAbortError } from "../errors/index.js";
import type { LlmCallStats } from "../llm/metered.js";
import type { Tool } from "../llm/tool.js";
import { runLlm, type ToolCallRecord } from "../llm/tool-runner.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import {
  type MeteredTextStream,
  meteredSynthesize,
  meteredTextStream,
  type TtsCallStats,
} from "../tts/metered.js";
import type { AudioOutput, PlaybackOwner } from "./audio-output.js";
import { playedPrefix } from "./played-text.js";
import { SentenceSplitter, speakableText } from "./sentence-splitter.js";
import { countWords, SpeakableChunker, wordsHeard, writtenPrefix } from "./streamed-text.js";

/** What a reply says: the LLM's answer to a conversation, or fixed text (`agent.say`). */
export type ReplySource = { kind: "llm"; messages: readonly ChatMessage[] } | { kind: "text"; text: string };

/** Why a reply stopped early. */
export type ReplyCancelReason = "interrupted" | "merged" | "closed";

/** How a reply ended. */
export interface ReplyOutcome {
  /** What the listeners heard: all of it, or up to where it was cut. */
  text: string;
  /** True when the reply stopped before it was all played. */
  interrupted: boolean;
  cancelReason: ReplyCancelReason | undefined;
  /** The messages to add to the history: tool calls and results, then the answer as heard. */
  messages: ChatMessage[];
  /** The LLM or TTS failure that cut the reply short, if any. */
  error: Error | undefined;
}

export interface ReplyEvents {
  /** The reply's first frame went to the edge. */
  onFirstAudio(reply: Reply, atMs: number): void;
  /** Text being spoken now (the reply so far, up to the end of the sentence being played). */
  onText(reply: Reply, text: string): void;
  onToolCall(reply: Reply, record: ToolCallRecord): void;
  onError(reply: Reply, error: Error, source: "llm" | "tts"): void;
  onDone(reply: Reply, outcome: ReplyOutcome): void;
}

export interface ReplyDeps {
  llm: LlmModel | undefined;
  tts: TtsModel | undefined;
  tools: readonly Tool[];
  maxToolSteps: number;
  output: AudioOutput;
  outputSampleRateHz: number;
  /** Spoken when the LLM fails mid-reply (if TTS works). */
  errorReplyText: string;
  meter: { metrics: MetricsCollector; clock: Clock };
  logger: Logger;
  events: ReplyEvents;
}

interface Segment {
  index: number;
  /** The text as written (for the history); TTS gets its speakable form. */
  text: string;
  /** Streaming TTS only: speakable words of `text` pushed to the stream so far. */
  words: number;
  /** LLM step it came from (tool calls start a new step). */
  step: number;
  /** False when there is no TTS: the text counts as said once known. */
  audio: boolean;
  producedSamples: number;
  sentSamples: number;
  synthDone: boolean;
  announced: boolean;
}

/** Speech rate assumed for a sentence still being synthesised when it was cut. */
const DEFAULT_MS_PER_CHAR = 65;

/** The tag of a streaming TTS's audio (one stream for the whole reply, not one per sentence). */
const STREAM_TAG = -1;

let nextReplyId = 1;

/**
 * One thing the agent says: LLM (with tools) → sentences → TTS → 20 ms frames at the edge's
 * rate → the audio output. Everything it produces (sentences, audio) is media of this reply
 * and is dropped by `cancel()`; what it reports (transcripts, history messages, metrics) is
 * never dropped. It keeps track of which text's audio was actually sent, so an interrupted
 * reply goes into the history cut where the listener heard it stop: whole sentences sent, plus
 * the share of the cut sentence's audio that was sent, rounded down to a whole word.
 */
export class Reply implements PlaybackOwner {
  readonly id = nextReplyId++;
  readonly kind: ReplySource["kind"];
  readonly done: Promise<ReplyOutcome>;
  /** When the reply started, clock ms. */
  startedAtMs: number | undefined;
  /** Stats of the first LLM call. */
  llmStats: LlmCallStats | undefined;
  /** When the first text went to TTS, clock ms. */
  firstTextToTtsAtMs: number | undefined;
  /** Stats of the first TTS call. */
  ttsStats: TtsCallStats | undefined;
  /** When the first frame went to the edge, clock ms. */
  firstAudioAtMs: number | undefined;

  readonly #deps: ReplyDeps;
  readonly #source: ReplySource;
  readonly #controller = new AbortController();
  readonly #sentences = new AsyncQueue<{ text: string; step: number }>();
  readonly #splitter = new SentenceSplitter();
  readonly #segments: Segment[] = [];
  readonly #records: { message: ChatMessage; step: number }[] = [];
  #step = 0;
  #resampler: Resampler | undefined;
  readonly #framer: Framer;
  #framesQueued = 0;
  /**
   * With a streaming TTS: one stream for the reply, text pushed as it is written (one segment
   * per LLM step), its audio counted on `#streamAudio`, and the timings it reports.
   */
  #stream: MeteredTextStream | undefined;
  readonly #chunker = new SpeakableChunker();
  readonly #streamAudio: Segment = {
    index: STREAM_TAG,
    text: "",
    words: 0,
    step: 0,
    audio: true,
    producedSamples: 0,
    sentSamples: 0,
    synthDone: false,
    announced: false,
  };
  readonly #timings: TtsTiming[] = [];
  #started = false;
  #finished = false;
  #cancelReason: ReplyCancelReason | undefined;
  #error: Error | undefined;
  #resolve!: (outcome: ReplyOutcome) => void;

  constructor(source: ReplySource, deps: ReplyDeps) {
    this.#source = source;
    this.kind = source.kind;
    this.#deps = deps;
    this.#framer = new Framer({ sampleRateHz: deps.outputSampleRateHz, frameMs: 20 });
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** True from its first frame sent until it ends. */
  get playing(): boolean {
    return this.firstAudioAtMs !== undefined && !this.#finished;
  }

  get started(): boolean {
    return this.#started;
  }

  get finished(): boolean {
    return this.#finished;
  }

  start(): void {
    if (this.#started || this.#finished) return;
    this.#started = true;
    this.startedAtMs = this.#deps.meter.clock.now();
    const { tts, meter } = this.#deps;
    if (tts?.streamText !== undefined) {
      // Opened now, so the TTS connects while the LLM thinks.
      this.#stream = meteredTextStream(tts, { signal: this.#controller.signal }, meter);
      this.ttsStats = this.#stream.stats;
    }
    void this.#produceText();
    void (this.#stream === undefined ? this.#speak() : this.#speakStream(this.#stream));
  }

  /** Stops the reply: LLM, tools and TTS aborted, its queued sentences dropped. */
  cancel(reason: ReplyCancelReason): void {
    if (this.#finished) return;
    this.#cancelReason = reason;
    this.#controller.abort();
    this.#sentences.clear();
    this.#sentences.end();
    this.#finish(true);
  }

  // ---- text: LLM (or fixed text) → sentences ----

  async #produceText(): Promise<void> {
    const source = this.#source;
    if (source.kind === "text") {
      this.#addText(source.text);
      this.#endText();
      return;
    }
    const { llm, tools, maxToolSteps, meter, logger } = this.#deps;
    try {
      if (llm === undefined) {
        throw new ConfigError("the agent has no LLM: pass `llm` to new Agent({...}) to answer the user");
      }
      const result = await runLlm({
        llm,
        messages: source.messages,
        tools,
        maxToolSteps,
        signal: this.#controller.signal,
        logger,
        meter,
        onTextDelta: (text) => this.#addText(text),
        onStepText: () => this.#endStep(),
        onToolCall: (record) => {
          if (!this.#finished) this.#deps.events.onToolCall(this, record);
        },
        onMessage: (message) => {
          if (!this.#finished) this.#records.push({ message, step: this.#step });
        },
      });
      this.llmStats = result.firstCall;
      if (result.error !== undefined) this.#llmFailed(result.error);
    } catch (error) {
      if (this.#controller.signal.aborted && isAbortError(error)) return;
      this.#llmFailed(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#endText();
    }
  }

  #llmFailed(error: Error): void {
    if (this.#finished) return;
    this.#error = error;
    this.#deps.logger.warn({ err: error }, "the LLM failed mid-reply");
    this.#deps.events.onError(this, error, "llm");
    // Say so, in the agent's voice, rather than going silent.
    const { tts, errorReplyText } = this.#deps;
    const sayError = tts !== undefined && errorReplyText.length > 0;
    if (this.#stream !== undefined) {
      const current = this.#segments.at(-1);
      const after = current !== undefined && current.step === this.#step && current.text.trim() !== "";
      if (sayError) this.#streamWritten(after ? ` ${errorReplyText}` : errorReplyText);
      return;
    }
    const rest = this.#splitter.flush();
    if (rest !== undefined) this.#sentences.push({ text: rest, step: this.#step });
    if (sayError) this.#sentences.push({ text: errorReplyText, step: this.#step });
  }

  #addText(text: string): void {
    if (this.#finished) return;
    if (this.#stream !== undefined) {
      this.#streamWritten(text);
      return;
    }
    for (const sentence of this.#splitter.push(text))
      this.#sentences.push({ text: sentence, step: this.#step });
  }

  #endStep(): void {
    if (this.#finished) return;
    if (this.#stream !== undefined) {
      const segment = this.#segments.at(-1);
      if (segment !== undefined && segment.step === this.#step) {
        this.#streamSpeakable(segment, this.#chunker.flush());
        this.#stream.flush();
      }
      this.#splitter.flush();
      this.#step += 1;
      return;
    }
    const rest = this.#splitter.flush();
    if (rest !== undefined) this.#sentences.push({ text: rest, step: this.#step });
    this.#step += 1;
  }

  #endText(): void {
    if (this.#stream !== undefined) {
      const segment = this.#segments.at(-1);
      if (segment !== undefined && !this.#finished) this.#streamSpeakable(segment, this.#chunker.flush());
      this.#stream.end();
      return;
    }
    const rest = this.#splitter.flush();
    if (rest !== undefined && !this.#finished) this.#sentences.push({ text: rest, step: this.#step });
    this.#sentences.end();
  }

  // ---- text into a streaming TTS ----

  /** Text the LLM wrote, for a streaming TTS: kept as written, pushed speakable, word by word. */
  #streamWritten(text: string): void {
    let segment = this.#segments.at(-1);
    if (segment === undefined || segment.step !== this.#step) {
      segment = {
        index: this.#segments.length,
        text: "",
        words: 0,
        step: this.#step,
        audio: true,
        producedSamples: 0,
        sentSamples: 0,
        synthDone: false,
        announced: false,
      };
      this.#segments.push(segment);
    }
    segment.text += text;
    this.#streamSpeakable(segment, this.#chunker.push(text));
    // A sentence completed while the agent is speaking: show it (as the per-sentence path does).
    if (this.#splitter.push(text).length > 0 && this.firstAudioAtMs !== undefined) {
      this.#deps.events.onText(this, this.#heardText(false).text);
    }
  }

  #streamSpeakable(segment: Segment, speakable: string): void {
    if (speakable === "" || this.#stream === undefined) return;
    segment.words += countWords(speakable);
    this.firstTextToTtsAtMs ??= this.#deps.meter.clock.now();
    this.#stream.push(speakable);
  }

  // ---- speech: sentences → TTS → frames → output ----

  async #speak(): Promise<void> {
    const { tts, meter, events } = this.#deps;
    const signal = this.#controller.signal;
    try {
      for await (const { text, step } of this.#sentences) {
        if (this.#finished) return;
        const segment: Segment = {
          index: this.#segments.length,
          text,
          words: 0,
          step,
          audio: tts !== undefined,
          producedSamples: 0,
          sentSamples: 0,
          synthDone: false,
          announced: false,
        };
        this.#segments.push(segment);
        if (tts === undefined) {
          segment.synthDone = true;
          segment.announced = true;
          events.onText(this, this.#heardText(false).text);
          continue;
        }
        const words = speakableText(text);
        if (words.length === 0) {
          segment.synthDone = true;
          continue;
        }
        this.firstTextToTtsAtMs ??= meter.clock.now();
        const call = meteredSynthesize(tts, words, { signal }, meter);
        this.ttsStats ??= call.stats;
        for await (const frame of call.frames) {
          if (this.#finished) return;
          this.#queueAudio(frame.sampleRateHz, toMono(frame).samples, segment);
        }
        if (this.#finished) return;
        this.#flushAudio(segment);
        segment.synthDone = true;
      }
    } catch (error) {
      if (this.#finished) return;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#error ??= failure;
      this.#deps.logger.warn({ err: failure }, "the TTS failed mid-reply");
      events.onError(this, failure, "tts");
      // Nothing more can be said: stop the LLM, let what is queued play out.
      this.#controller.abort();
    }
    if (this.#finished) return;
    if (this.#framesQueued > 0) this.#deps.output.enqueueEnd(this);
    else this.#finish(false);
  }

  /** A streaming TTS's parts: audio for the whole reply, and when its words are spoken. */
  async #speakStream(stream: MeteredTextStream): Promise<void> {
    const segment = this.#streamAudio;
    try {
      for await (const part of stream.parts) {
        if (this.#finished) return;
        if (part.type === "audio") {
          this.#queueAudio(part.frame.sampleRateHz, toMono(part.frame).samples, segment);
        } else if (part.type === "timings") {
          this.#timings.push(...part.timings);
        } else if (part.type === "error") {
          throw part.error;
        }
      }
      if (this.#finished) return;
      this.#flushAudio(segment);
      segment.synthDone = true;
    } catch (error) {
      if (this.#finished) return;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#error ??= failure;
      this.#deps.logger.warn({ err: failure }, "the TTS failed mid-reply");
      this.#deps.events.onError(this, failure, "tts");
      this.#controller.abort();
    }
    if (this.#finished) return;
    if (this.#framesQueued > 0) this.#deps.output.enqueueEnd(this);
    else this.#finish(false);
  }

  #queueAudio(rateHz: number, samples: Int16Array, segment: Segment): void {
    if (this.#resampler?.inputSampleRateHz !== rateHz) {
      if (this.#resampler !== undefined) this.#framer.push(this.#resampler.flush(), this.#emitter(segment));
      this.#resampler = new Resampler({
        inputSampleRateHz: rateHz,
        outputSampleRateHz: this.#deps.outputSampleRateHz,
      });
    }
    this.#framer.push(this.#resampler.process(samples), this.#emitter(segment));
  }

  #flushAudio(segment: Segment): void {
    const emit = this.#emitter(segment);
    if (this.#resampler !== undefined) this.#framer.push(this.#resampler.flush(), emit);
    this.#framer.flush(emit);
  }

  #emitter(segment: Segment): (frame: Int16Array) => void {
    return (frame) => {
      if (this.#finished) return;
      segment.producedSamples += frame.length;
      this.#framesQueued += 1;
      this.#deps.output.enqueue(audioFrame(frame, this.#deps.outputSampleRateHz), this, segment.index);
    };
  }

  // ---- playback callbacks (AudioOutput) ----

  onFrameSent(tag: number, frame: { samples: Int16Array }, atMs: number): void {
    if (this.#finished) return;
    if (tag === STREAM_TAG) {
      this.#streamAudio.sentSamples += frame.samples.length;
      if (this.firstAudioAtMs === undefined) {
        this.firstAudioAtMs = atMs;
        this.#deps.events.onFirstAudio(this, atMs);
        this.#deps.events.onText(this, this.#heardText(false).text);
      }
      return;
    }
    const segment = this.#segments[tag];
    if (segment === undefined) return;
    segment.sentSamples += frame.samples.length;
    if (this.firstAudioAtMs === undefined) {
      this.firstAudioAtMs = atMs;
      this.#deps.events.onFirstAudio(this, atMs);
    }
    if (!segment.announced) {
      segment.announced = true;
      this.#deps.events.onText(this, this.#heardText(false, segment.index).text);
    }
  }

  onPlayoutDone(): void {
    this.#finish(false);
  }

  // ---- the end ----

  #finish(interrupted: boolean): void {
    if (this.#finished) return;
    const heard = this.#heardText(interrupted);
    this.#finished = true;
    const outcome: ReplyOutcome = {
      text: heard.text,
      interrupted,
      cancelReason: this.#cancelReason,
      messages: this.#messages(heard.byStep, interrupted),
      error: this.#error,
    };
    this.#resolve(outcome);
    this.#deps.events.onDone(this, outcome);
  }

  /**
   * What was heard: with `cut`, segments whose audio was sent in full plus the sent share of
   * the segment playing when it stopped; without, every segment up to `through` (or all).
   */
  #heardText(
    cut: boolean,
    through = Number.POSITIVE_INFINITY,
  ): { text: string; byStep: Map<number, string[]> } {
    const byStep = new Map<number, string[]>();
    const parts: string[] = [];
    const add = (step: number, text: string) => {
      if (text.length === 0) return;
      parts.push(text);
      const list = byStep.get(step) ?? [];
      list.push(text);
      byStep.set(step, list);
    };
    if (cut && this.#stream !== undefined) {
      let words = this.#streamWordsHeard();
      for (const s of this.#segments) {
        if (words <= 0) break;
        add(s.step, words >= s.words ? s.text.trim() : writtenPrefix(s.text, words).trim());
        words -= s.words;
      }
      return { text: parts.join(" "), byStep };
    }
    const msPerChar = this.#observedMsPerChar();
    for (const s of this.#segments) {
      if (s.index > through) break;
      if (!cut || !s.audio) {
        add(s.step, s.text);
        continue;
      }
      if (s.sentSamples === 0) {
        if (s.synthDone && s.producedSamples === 0) continue; // nothing to say (e.g. only markdown)
        break;
      }
      if (s.synthDone && s.sentSamples >= s.producedSamples) {
        add(s.step, s.text);
        continue;
      }
      const expected = s.synthDone
        ? s.producedSamples
        : Math.max(s.producedSamples, (s.text.length * msPerChar * this.#deps.outputSampleRateHz) / 1000);
      add(s.step, playedPrefix(s.text, s.sentSamples / expected));
      break;
    }
    return { text: parts.join(" "), byStep };
  }

  /**
   * Words of a streaming reply the listener heard in full: from the TTS's timings when it sends
   * them, else the share of the audio played (speech rate assumed uniform).
   */
  #streamWordsHeard(): number {
    const rate = this.#deps.outputSampleRateHz;
    const audio = this.#streamAudio;
    const playedMs = (audio.sentSamples * 1000) / rate;
    if (this.#timings.length > 0) return wordsHeard(this.#timings, playedMs);
    let words = 0;
    let chars = 0;
    for (const s of this.#segments) {
      words += s.words;
      chars += s.text.length;
    }
    const producedMs = (audio.producedSamples * 1000) / rate;
    const expectedMs = audio.synthDone ? producedMs : Math.max(producedMs, chars * DEFAULT_MS_PER_CHAR);
    if (expectedMs <= 0) return 0;
    return Math.floor((words * Math.min(playedMs, expectedMs)) / expectedMs);
  }

  #observedMsPerChar(): number {
    let samples = 0;
    let chars = 0;
    for (const s of this.#segments) {
      if (!s.synthDone || !s.audio) continue;
      samples += s.producedSamples;
      chars += s.text.length;
    }
    if (chars === 0 || samples === 0) return DEFAULT_MS_PER_CHAR;
    return (samples * 1000) / this.#deps.outputSampleRateHz / chars;
  }

  #messages(byStep: Map<number, string[]>, interrupted: boolean): ChatMessage[] {
    const out: ChatMessage[] = [];
    const said = (step: number) => (byStep.get(step) ?? []).join(" ");
    const answered = new Set<string>();
    for (const { message } of this.#records) if (message.role === "tool") answered.add(message.toolCallId);
    for (const { message, step } of this.#records) {
      if (message.role !== "assistant") {
        out.push(message);
        continue;
      }
      out.push({ ...message, content: said(step) });
      // A call cut off before its result still needs one: providers reject unanswered calls.
      for (const call of message.toolCalls ?? []) {
        if (answered.has(call.id)) continue;
        out.push({
          role: "tool",
          toolCallId: call.id,
          name: call.name,
          content: "Error: not run, the user interrupted.",
          isError: true,
        });
      }
    }
    const last = said(this.#step);
    if (last.length > 0) {
      out.push({ role: "assistant", content: last, ...(interrupted ? { interrupted: true } : {}) });
    }
    return out;
  }
}
