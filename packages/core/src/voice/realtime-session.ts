import { type Clock, Framer, Resampler } from "@callwright/provider-utils";
import {
  type AgentState,
  type AgentUiEvent,
  type AudioFrame,
  audioFrame,
  type ChatImage,
  type EdgeConnection,
  frameDurationMs,
  frameRms,
  type RealtimeEvent,
  type RealtimeModel,
  type RealtimeSession,
  type ToolCall,
  type TurnBreakdown,
  type VadModel,
} from "@callwright/spec";
import type { ChatHistory } from "../llm/chat-history.js";
import { type Tool, toolSpec } from "../llm/tool.js";
import { runTool } from "../llm/tool-runner.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { AudioOutput, type PlaybackOwner } from "./audio-output.js";
import { RealtimeMixer } from "./realtime-mixer.js";
import type { ReplyOutcome } from "./reply.js";
import { AgentStateHolder } from "./state.js";
import { VadDetector, type VadDetector as VadDetectorType, type VadOptions } from "./vad-detector.js";
import type { VoiceSessionEvents } from "./voice-session.js";

/** Options of the realtime loop (docs/realtime.md). */
export interface RealtimeLoopOptions {
  /**
   * Who decides that the user barged in: the model's own voice detection (`"model"`: OpenAI's
   * `speech_started`, Gemini's `interrupted`), or the agent's VAD on the mixed input (`"vad"`:
   * the agent's audio stops as soon as our VAD hears speech, and the model's answer is cancelled).
   */
  bargeIn: "model" | "vad";
  /**
   * With several participants sending audio, how far the fastest may get ahead of the others
   * before their audio is summed into the model's one input, in ms (one voice: no wait).
   */
  mixHoldMs: number;
  /** Audio heard before the model's session is open, kept and sent once it is, in ms. */
  preConnectBufferMs: number;
}

export const defaultRealtimeLoopOptions = {
  bargeIn: "model",
  mixHoldMs: 40,
  preConnectBufferMs: 2000,
} as const satisfies RealtimeLoopOptions;

export interface RealtimeVoiceSessionDeps {
  connection: EdgeConnection;
  model: RealtimeModel;
  /** Times the user's speech (the per-turn breakdown) and, with `bargeIn: "vad"`, barges in. */
  vad: VadModel;
  vadOptions: VadOptions;
  tools: readonly Tool[];
  history: ChatHistory;
  options: RealtimeLoopOptions;
  clock: Clock;
  metrics: MetricsCollector;
  logger: Logger;
  events: VoiceSessionEvents;
}

/** A user turn as the realtime loop sees it: from the model's (or our VAD's) speech start. */
interface RealtimeTurn {
  id: number;
  speechStartAtMs: number;
  /** Our VAD's end of the last voiced frame (clock time), or the model's speech_stopped. */
  speechEndAtMs: number | undefined;
  /** When the model said the user stopped (its endpointing). */
  modelStoppedAtMs: number | undefined;
  /** When the final input transcript arrived. */
  transcriptAtMs: number | undefined;
  answered: boolean;
  reported: boolean;
}

/** One answer of the model: its audio on the way out, what it said, how much was played. */
class RealtimeResponse implements PlaybackOwner {
  readonly id: string;
  readonly turn: RealtimeTurn | undefined;
  transcript = "";
  /** Audio the model sent, in ms (at its rate). */
  generatedMs = 0;
  playedMs = 0;
  /** Clock time the model's first audio for it arrived. */
  firstAudioInAtMs: number | undefined;
  /** Clock time its first frame went to the edge. */
  firstAudioOutAtMs: number | undefined;
  /** The model said it is over (all its audio arrived). */
  received = false;
  /** Cut by a barge-in or cancelled; late audio is dropped. */
  interrupted = false;
  finished = false;
  readonly resampler: Resampler;
  readonly framer: Framer;
  readonly #session: RealtimeVoiceSession;

  constructor(
    id: string,
    turn: RealtimeTurn | undefined,
    session: RealtimeVoiceSession,
    inRate: number,
    outRate: number,
  ) {
    this.id = id;
    this.turn = turn;
    this.#session = session;
    this.resampler = new Resampler({ inputSampleRateHz: inRate, outputSampleRateHz: outRate });
    this.framer = new Framer({ sampleRateHz: outRate, frameMs: 20 });
  }

  get playing(): boolean {
    return this.firstAudioOutAtMs !== undefined && !this.finished;
  }

  onFrameSent(_tag: number, frame: AudioFrame, atMs: number): void {
    this.playedMs += frameDurationMs(frame);
    if (this.firstAudioOutAtMs === undefined) {
      this.firstAudioOutAtMs = atMs;
      this.#session.firstAudioOut(this);
    }
  }

  onPlayoutDone(): void {
    this.#session.playoutDone(this);
  }
}

/**
 * The loop of an agent whose `llm` is a speech-to-speech model (docs/realtime.md): the
 * participants' audio, mixed and resampled, goes to one model session; the model's audio is paced
 * out to the edge by the same AudioOutput as the pipeline's; the model's speech-started (or our
 * VAD) stops the agent's audio at once and truncates the answer to what was played; tool calls
 * run through the same zod tool runner; transcripts, turn metrics, state and errors are reported
 * as the pipeline reports them, so the demo page works unchanged.
 */
export class RealtimeVoiceSession {
  readonly history: ChatHistory;
  readonly #deps: RealtimeVoiceSessionDeps;
  readonly #state: AgentStateHolder;
  readonly #output: AudioOutput;
  readonly #mixer: RealtimeMixer;
  readonly #vad: VadDetectorType;
  readonly #vadResampler: Resampler;
  readonly #abort = new AbortController();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #responses = new Map<string, RealtimeResponse>();
  /** Responses that ended (played, cut or cancelled): what still comes for them is dropped. */
  readonly #ended = new Set<string>();
  readonly #waiters: ((outcome: ReplyOutcome) => void)[] = [];
  #session: RealtimeSession | undefined;
  #preConnect: Int16Array[] = [];
  #preConnectSamples = 0;
  /** Text asked for before the session was open. */
  #pendingText: string[] = [];
  #turn: RealtimeTurn | undefined;
  #nextTurnId = 1;
  /** The participant heard last (whose transcript a user transcript is). */
  #speakerId: string | undefined;
  #closed = false;

  constructor(deps: RealtimeVoiceSessionDeps) {
    this.#deps = deps;
    this.history = deps.history;
    const { connection, clock, model, options } = deps;
    this.#state = new AgentStateHolder((state, previous) => deps.events.onState(state, previous));
    this.#output = new AudioOutput(connection, clock);
    this.#mixer = new RealtimeMixer(
      { sampleRateHz: model.inputSampleRateHz, chunkMs: 20, holdMs: options.mixHoldMs, idleAfterMs: 300 },
      clock,
      (samples) => this.#sendInput(samples),
    );
    this.#vadResampler = new Resampler({
      inputSampleRateHz: model.inputSampleRateHz,
      outputSampleRateHz: deps.vad.sampleRateHz,
    });
    this.#vad = new VadDetector(deps.vad, deps.vadOptions, {
      onFrame: (_frame, event) => {
        if (event === "speech_start") this.#guard(() => this.#userSpeechStarted("vad"));
        else if (event === "speech_end") this.#guard(() => this.#userSpeechEnded("vad"));
      },
      onError: (error) => this.#error(error instanceof Error ? error : new Error(String(error)), "vad"),
    });
    this.#unsubscribe.push(
      connection.on("audio", (participantId, frame) => {
        if (this.#closed) return;
        try {
          if (frameRms(frame) > 0.01) this.#speakerId = participantId;
          this.#mixer.push(participantId, frame);
        } catch (error) {
          this.#error(error instanceof Error ? error : new Error(String(error)), "loop");
        }
      }),
      connection.on("participant_left", (participant) => this.#mixer.remove(participant.id)),
    );
    this.#state.set("listening");
    void this.#run();
  }

  get state(): AgentState {
    return this.#state.state;
  }

  /** Has the model say `text` (as an instruction: a realtime model speaks its own words). */
  say(text: string): Promise<ReplyOutcome> {
    return this.#ask(`Say exactly the following, and nothing else: ${text}`, undefined);
  }

  /** Answers `text` as if a user had said it. */
  respond(text: string, participantId?: string): Promise<ReplyOutcome> {
    this.history.append({
      role: "user",
      content: text,
      ...(participantId === undefined ? {} : { participantId }),
    });
    return this.#ask(text, participantId);
  }

  /** Stops what the agent is saying now, as a barge-in would. */
  /** A still of a participant's video for the model (dropped while no session is open, or the model is blind). */
  pushImage(image: ChatImage): void {
    if (!this.#closed) this.#session?.pushImage?.(image);
  }

  interrupt(): void {
    this.#guard(() => this.#bargeIn({ cancel: true }));
  }

  /** Releases the model session, timers and listeners. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    this.#abort.abort();
    for (const response of this.#responses.values()) this.#finish(response, "closed");
    this.#responses.clear();
    this.#output.close();
    this.#vad.close();
    const session = this.#session;
    this.#session = undefined;
    void session
      ?.close()
      .catch((error: unknown) => this.#logger().warn({ err: error }, "closing the realtime session failed"));
    this.#state.set("idle");
  }

  // ---- the model session ----

  async #run(): Promise<void> {
    const { model, tools, history } = this.#deps;
    let session: RealtimeSession;
    try {
      session = await model.connect({
        instructions: history.instructions,
        tools: tools.map(toolSpec),
        history: history.messages,
        signal: this.#abort.signal,
      });
    } catch (error) {
      if (!this.#closed) this.#error(error instanceof Error ? error : new Error(String(error)), "llm");
      return;
    }
    if (this.#closed) {
      await session.close();
      return;
    }
    this.#session = session;
    for (const samples of this.#preConnect) this.#pushToModel(samples);
    this.#preConnect = [];
    for (const text of this.#pendingText) session.sendText(text);
    this.#pendingText = [];
    try {
      for await (const event of session) {
        if (this.#closed) break;
        this.#guard(() => this.#onEvent(event));
      }
    } catch (error) {
      if (!this.#closed) this.#error(error instanceof Error ? error : new Error(String(error)), "llm");
    }
    if (!this.#closed && this.#session === session) {
      this.#session = undefined;
      this.#logger().warn("the realtime model's session ended; the agent no longer hears the call");
    }
  }

  #onEvent(event: RealtimeEvent): void {
    const { metrics, clock } = this.#deps;
    switch (event.type) {
      case "response_started":
        this.#response(event.responseId);
        this.#updateState();
        return;
      case "audio": {
        const response = this.#response(event.responseId);
        if (response === undefined || response.interrupted) return;
        const ms = frameDurationMs(event.frame);
        metrics.add("realtime_audio_output_bytes__total", event.frame.samples.byteLength);
        metrics.add("realtime_audio_output_duration_ms__total", ms);
        response.generatedMs += ms;
        response.firstAudioInAtMs ??= clock.now();
        this.#play(response, event.frame.samples);
        return;
      }
      case "output_transcript": {
        const response = this.#response(event.responseId);
        if (response === undefined || response.interrupted) return;
        response.transcript += event.delta;
        this.#record({
          type: "transcript",
          role: "agent",
          text: response.transcript,
          final: false,
          turnId: response.turn?.id ?? this.#lastTurnId(),
        });
        return;
      }
      case "input_transcript": {
        const turn = this.#turn;
        const text = event.text.trim();
        if (event.final) {
          if (turn !== undefined) turn.transcriptAtMs = clock.now();
          if (text.length === 0) return;
          metrics.add("realtime_user_transcriptions__total");
          this.history.append({
            role: "user",
            content: text,
            ...(this.#speakerId === undefined ? {} : { participantId: this.#speakerId }),
          });
        }
        this.#record({
          type: "transcript",
          role: "user",
          ...(this.#speakerId === undefined ? {} : { participantId: this.#speakerId }),
          text,
          final: event.final,
          turnId: turn?.id ?? this.#lastTurnId(),
        });
        return;
      }
      case "speech_started":
        this.#userSpeechStarted("model");
        return;
      case "speech_stopped":
        this.#userSpeechEnded("model");
        return;
      case "tool_call":
        void this.#runTool(event);
        return;
      case "response_done": {
        const response = this.#response(event.responseId);
        if (response === undefined) return;
        response.received = true;
        if (event.reason === "interrupted" || event.reason === "cancelled") {
          this.#bargeIn({ cancel: false, only: response });
          return;
        }
        if (response.interrupted || response.finished) return;
        // The rest of its audio, then the end mark: the transcript is final once it has played.
        const tail = response.resampler.flush();
        if (tail.length > 0) this.#play(response, tail);
        const outRate = this.#deps.connection.outputSampleRateHz;
        const pending = response.framer.pendingSamples;
        if (pending > 0) {
          response.framer.push(new Int16Array(response.framer.frameSamples - pending), (frame) =>
            this.#output.enqueue(audioFrame(frame, outRate), response, 0),
          );
        }
        if (response.firstAudioOutAtMs === undefined && response.generatedMs === 0)
          this.#finish(response, undefined);
        else this.#output.enqueueEnd(response);
        return;
      }
      case "usage":
        metrics.add("llm_input_tokens__total", event.inputTokens);
        metrics.add("llm_output_tokens__total", event.outputTokens);
        return;
      case "reconnected":
        this.#logger().info({ resumed: event.resumed }, "the realtime model reconnected");
        return;
      case "error":
        this.#error(event.error, "llm");
        return;
    }
  }

  #response(id: string): RealtimeResponse | undefined {
    if (this.#ended.has(id)) return undefined;
    let response = this.#responses.get(id);
    if (response === undefined) {
      // The answer to the latest turn that has none yet.
      const turn = this.#turn !== undefined && !this.#turn.answered ? this.#turn : undefined;
      if (turn !== undefined) turn.answered = true;
      response = new RealtimeResponse(
        id,
        turn,
        this,
        this.#deps.model.outputSampleRateHz,
        this.#deps.connection.outputSampleRateHz,
      );
      this.#responses.set(id, response);
    }
    return response;
  }

  #play(response: RealtimeResponse, samples: Int16Array): void {
    const outRate = this.#deps.connection.outputSampleRateHz;
    const resampled = response.resampler.process(samples);
    response.framer.push(resampled, (frame) => this.#output.enqueue(audioFrame(frame, outRate), response, 0));
  }

  async #runTool(call: { responseId: string } & ToolCall): Promise<void> {
    const { tools, metrics, clock, logger } = this.#deps;
    const toolCall: ToolCall = { id: call.id, name: call.name, arguments: call.arguments };
    const record = await runTool(tools, toolCall, {
      meter: { metrics, clock },
      logger,
      signal: this.#abort.signal,
    });
    if (this.#closed) return;
    this.history.append(
      { role: "assistant", content: "", toolCalls: [toolCall] },
      {
        role: "tool",
        toolCallId: call.id,
        name: call.name,
        content: record.result,
        ...(record.isError ? { isError: true } : {}),
      },
    );
    this.#deps.events.onToolCall(record);
    this.#session?.sendToolResult({
      callId: call.id,
      name: call.name,
      output: record.result,
      ...(record.isError ? { isError: true } : {}),
    });
  }

  // ---- audio in ----

  #sendInput(samples: Int16Array): void {
    const vadSamples = this.#vadResampler.process(samples);
    if (vadSamples.length > 0) this.#vad.push(vadSamples);
    if (this.#session !== undefined) {
      this.#pushToModel(samples);
      return;
    }
    // Not connected yet: keep the last `preConnectBufferMs`.
    this.#preConnect.push(samples);
    this.#preConnectSamples += samples.length;
    const max = (this.#deps.options.preConnectBufferMs * this.#deps.model.inputSampleRateHz) / 1000;
    while (this.#preConnectSamples > max && this.#preConnect.length > 0) {
      this.#preConnectSamples -= this.#preConnect.shift()!.length;
    }
  }

  #pushToModel(samples: Int16Array): void {
    const { metrics, model } = this.#deps;
    metrics.add("realtime_audio_input_bytes__total", samples.byteLength);
    metrics.add("realtime_audio_input_duration_ms__total", (samples.length * 1000) / model.inputSampleRateHz);
    this.#session?.pushAudio(audioFrame(samples, model.inputSampleRateHz));
  }

  // ---- turns ----

  #userSpeechStarted(by: "model" | "vad"): void {
    const now = this.#deps.clock.now();
    const turn = this.#turn;
    if (turn !== undefined && !turn.answered && by === "vad") {
      // The same (unanswered) turn goes on: its end is not known yet.
      turn.speechEndAtMs = undefined;
      turn.modelStoppedAtMs = undefined;
    }
    if (turn === undefined || turn.answered) {
      this.#turn = {
        id: this.#nextTurnId++,
        speechStartAtMs: now,
        speechEndAtMs: undefined,
        modelStoppedAtMs: undefined,
        transcriptAtMs: undefined,
        answered: false,
        reported: false,
      };
      if (this.#speakerId !== undefined) this.#deps.events.onUserState(this.#speakerId, "speaking");
    }
    if (by === "model" || this.#deps.options.bargeIn === "vad") this.#bargeIn({ cancel: by === "vad" });
    this.#updateState();
  }

  #userSpeechEnded(by: "model" | "vad"): void {
    const turn = this.#turn;
    if (turn === undefined) return;
    const now = this.#deps.clock.now();
    if (by === "vad") {
      // Where the voice really stopped: the detector's silence run ago.
      turn.speechEndAtMs = now - (this.#vad.audioMs - this.#vad.lastVoicedEndMs);
    } else {
      turn.modelStoppedAtMs = now;
      turn.speechEndAtMs ??= now;
    }
    if (this.#speakerId !== undefined) this.#deps.events.onUserState(this.#speakerId, "silent");
    this.#updateState();
  }

  /** Stops the agent's audio at once and cuts the answer(s) to what was played. */
  #bargeIn(options: { cancel: boolean; only?: RealtimeResponse }): void {
    const targets = options.only === undefined ? [...this.#responses.values()] : [options.only];
    const live = targets.filter((r) => !r.finished);
    if (live.length === 0) return;
    const sounding = live.some((r) => r.playing || r.generatedMs > 0);
    if (sounding) this.#output.clear();
    for (const response of live) {
      if (response.interrupted) continue;
      response.interrupted = true;
      if (response.firstAudioOutAtMs !== undefined || response.generatedMs > 0) {
        this.#deps.metrics.add("interruptions__total");
        this.#session?.truncate(response.id, Math.round(response.playedMs));
      }
      if (options.cancel && !response.received) this.#session?.cancelResponse();
      this.#finish(response, "interrupted");
    }
    this.#updateState();
  }

  /** Called by a response when its first frame went to the edge. */
  firstAudioOut(response: RealtimeResponse): void {
    this.#guard(() => {
      this.#report(response);
      this.#updateState();
    });
  }

  /** Called by a response when all its audio has played. */
  playoutDone(response: RealtimeResponse): void {
    this.#guard(() => this.#finish(response, undefined));
  }

  #finish(response: RealtimeResponse, cancel: "interrupted" | "closed" | undefined): void {
    if (response.finished) return;
    response.finished = true;
    this.#responses.delete(response.id);
    this.#ended.add(response.id);
    const interrupted = cancel !== undefined;
    const text = (
      interrupted
        ? heardPart(response.transcript, response.playedMs, response.generatedMs)
        : response.transcript
    ).trim();
    if (text.length > 0 || response.firstAudioOutAtMs !== undefined) {
      this.history.append({
        role: "assistant",
        content: text,
        ...(interrupted ? { interrupted: true } : {}),
      });
      this.#deps.metrics.add("realtime_agent_transcriptions__total");
      this.#record({
        type: "transcript",
        role: "agent",
        text,
        final: true,
        turnId: response.turn?.id ?? this.#lastTurnId(),
      });
    }
    const waiter = this.#waiters.shift();
    waiter?.({
      text,
      interrupted,
      cancelReason: cancel,
      messages: text.length > 0 ? [{ role: "assistant", content: text }] : [],
      error: undefined,
    });
    this.#updateState();
  }

  /** One breakdown per answered turn, at its first audio. */
  #report(response: RealtimeResponse): void {
    const turn = response.turn;
    if (turn === undefined || turn.reported) return;
    turn.reported = true;
    const end = turn.speechEndAtMs;
    const since = (at: number | undefined) =>
      at === undefined || end === undefined ? null : round(at - end);
    const breakdown: TurnBreakdown = {
      turnId: turn.id,
      trailingSilenceMs: since(turn.modelStoppedAtMs),
      sttMs: since(turn.transcriptAtMs),
      llmFirstTokenMs: null,
      ttsFirstAudioMs: null,
      e2eMs: since(response.firstAudioOutAtMs),
      frameworkMs:
        response.firstAudioOutAtMs === undefined || response.firstAudioInAtMs === undefined
          ? null
          : round(response.firstAudioOutAtMs - response.firstAudioInAtMs),
    };
    const { metrics } = this.#deps;
    metrics.add("turns__total");
    if (end !== undefined) metrics.observe("turn_duration_ms__avg", end - turn.speechStartAtMs);
    if (breakdown.trailingSilenceMs !== null)
      metrics.observe("turn_trailing_silence_ms__avg", breakdown.trailingSilenceMs);
    if (breakdown.e2eMs !== null) metrics.observe("turn_e2e_latency_ms__avg", breakdown.e2eMs);
    this.#deps.events.onTurnMetrics(breakdown);
    this.#sendUi({ type: "turn_metrics", ...breakdown });
  }

  #ask(text: string, _participantId: string | undefined): Promise<ReplyOutcome> {
    if (this.#closed) {
      return Promise.resolve({
        text: "",
        interrupted: true,
        cancelReason: "closed",
        messages: [],
        error: undefined,
      });
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (this.#session !== undefined) this.#session.sendText(text);
      else this.#pendingText.push(text);
    });
  }

  // ---- records ----

  #lastTurnId(): number {
    return Math.max(0, this.#nextTurnId - 1);
  }

  #record(event: Extract<AgentUiEvent, { type: "transcript" }>): void {
    this.#deps.events.onTranscript(event);
    this.#sendUi(event);
  }

  #sendUi(event: AgentUiEvent): void {
    if (this.#closed) return;
    try {
      this.#deps.connection.sendEvent(event);
    } catch (error) {
      this.#logger().warn({ err: error }, "the edge could not relay a UI event");
    }
  }

  #error(error: Error, source: "llm" | "vad" | "loop"): void {
    if (this.#closed) return;
    this.#deps.events.onError(error, source);
    this.#sendUi({ type: "error", source, message: error.message });
  }

  #updateState(): void {
    if (this.#closed) return;
    let state: AgentState = "listening";
    const responses = [...this.#responses.values()];
    const turn = this.#turn;
    if (responses.some((r) => r.playing)) state = "agent_speaking";
    else if (turn !== undefined && turn.speechEndAtMs === undefined && !turn.answered)
      state = "user_speaking";
    else if (responses.some((r) => !r.interrupted) || (turn !== undefined && !turn.answered))
      state = "thinking";
    this.#state.set(state);
  }

  #guard(step: () => void): void {
    if (this.#closed) return;
    try {
      step();
    } catch (error) {
      this.#error(error instanceof Error ? error : new Error(String(error)), "loop");
    }
  }

  #logger(): Logger {
    return this.#deps.logger;
  }
}

const round = (ms: number): number => Math.round(Math.max(0, ms) * 100) / 100;

/**
 * The part of `text` the user heard when `playedMs` of `totalMs` of its audio played: cut in
 * proportion, at a word boundary (a realtime model gives no word timings).
 */
export function heardPart(text: string, playedMs: number, totalMs: number): string {
  if (totalMs <= 0 || playedMs <= 0) return "";
  if (playedMs >= totalMs) return text;
  const at = Math.floor((text.length * playedMs) / totalMs);
  const space = text.lastIndexOf(" ", at);
  return text.slice(0, space > 0 ? space : at).trim();
}
