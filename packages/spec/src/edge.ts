// Edges: how an agent is present in a call (audio in per participant, one paced audio out,
// joins and leaves, UI events), vendor-neutral: Stream's SFU, the local browser edge, a fake.
import type { AudioFrame } from "./audio.js";
import type { Logger, WarmupOptions } from "./log.js";
import type {
  VideoFrame,
  VideoPublication,
  VideoPublishOptions,
  VideoState,
  VideoSubscribeOptions,
  VideoSubscription,
} from "./video.js";

/** A call on an edge network: what `agent.createCall(type, id)` returns. */
export interface Call {
  readonly type: string;
  readonly id: string;
}

/** Someone in the call other than this agent. */
export interface Participant {
  readonly id: string;
  readonly name?: string;
}

/** The agent's turn state (docs/voice-loop.md). */
export type AgentState = "idle" | "listening" | "user_speaking" | "thinking" | "agent_speaking";

/** Where one turn's time went, in ms (null where the stage did not run, e.g. no LLM call). */
export interface TurnBreakdown {
  turnId: number;
  /** End of the user's speech → end of turn decided. */
  trailingSilenceMs: number | null;
  /** End of the user's speech → final transcript available. */
  sttMs: number | null;
  /** LLM request sent → first token. */
  llmFirstTokenMs: number | null;
  /** First text handed to TTS → its first audio. */
  ttsFirstAudioMs: number | null;
  /** End of the user's speech → first agent audio frame handed to the edge. */
  e2eMs: number | null;
  /** End of turn decided → first audio, minus LLM first token and TTS first audio: our own cost. */
  frameworkMs: number | null;
  /**
   * How the turn ended: the rule that fired ("silence", "turn_detector", "max_delay"), the
   * silence it waited for after the last voiced frame (ms), and the turn detector's name,
   * decision (e.g. "complete:question") and confidence (0..1) when one answered.
   */
  endOfTurn?: {
    reason: "silence" | "turn_detector" | "max_delay";
    waitMs: number | null;
    detector: string | null;
    label: string | null;
    confidence: number | null;
  } | null;
}

/**
 * Events an edge may relay to the people in the call (the local edge sends them over a data
 * channel to the demo page). Transcripts are sent to the call's own participants only.
 */
export type AgentUiEvent =
  | {
      type: "transcript";
      role: "user" | "agent";
      participantId?: string;
      text: string;
      final: boolean;
      turnId: number;
      /**
       * On the agent's final transcript only: the user interrupted it, and `text` is what had been
       * played when it stopped (the interims before it held what was generated).
       */
      interrupted?: boolean;
    }
  | { type: "agent_state"; state: AgentState }
  | ({ type: "turn_metrics" } & TurnBreakdown)
  /** Something failed; the session goes on (the agent also says so when it can speak). */
  | { type: "error"; source: "llm" | "stt" | "tts" | "vad" | "edge" | "loop"; message: string }
  | { type: "info"; agentName: string; llm: string; stt: string; tts: string; vad: string };

export type EdgeConnectionEvents = {
  participant_joined: [participant: Participant];
  participant_left: [participant: Participant, reason: "left" | "timeout" | "removed"];
  /** Mono PCM from one participant, in order, at whatever rate the edge decodes to. */
  audio: [participantId: string, frame: AudioFrame];
  /** A participant's video went on or off (edges with video only). */
  video_state: [participantId: string, state: VideoState];
  /** The call ended or the connection was lost for good; no more events follow. */
  closed: [reason: string];
};

export interface EdgeJoinOptions {
  /** Who the agent is in the call. */
  agentUser: { readonly id: string; readonly name: string };
  signal: AbortSignal;
  logger: Logger;
}

/**
 * The agent's presence in one call: audio in per participant, one audio out, join/leave events.
 * The voice loop paces outbound audio itself: `sendAudio` is called once per 20 ms frame, in
 * real time, and the edge sends each frame at once.
 */
export interface EdgeConnection {
  readonly call: Call;
  /** Everyone in the call but the agent. */
  readonly participants: ReadonlyMap<string, Participant>;
  /** The rate `sendAudio` wants, e.g. 48000. */
  readonly outputSampleRateHz: number;
  on<E extends keyof EdgeConnectionEvents>(
    event: E,
    listener: (...args: EdgeConnectionEvents[E]) => void,
  ): () => void;
  /** One frame of agent audio (mono, `outputSampleRateHz`), to be sent now. */
  sendAudio(frame: AudioFrame): void;
  /** The agent stopped mid-reply (barge-in): drop whatever the edge still holds. */
  clearAudio(): void;
  /** Relays an event to the participants' UI, if this edge has a way to. */
  sendEvent(event: AgentUiEvent): void;
  /**
   * Decoded pictures from one participant's video, at most `fps` a second, scaled to `widthPx`.
   * The edge decodes only while someone is subscribed (it asks the sender for a keyframe when a
   * subscription starts), so an unwatched camera costs almost nothing. Frames flow while the
   * participant's video is on; none while it is off. Absent on an edge without video.
   */
  subscribeVideo?(
    participantId: string,
    options: VideoSubscribeOptions,
    onFrame: (frame: VideoFrame) => void,
  ): VideoSubscription;
  /** Whether a participant's video is on now (edges with video only). */
  videoState?(participantId: string): VideoState;
  /** Publishes a video track of the agent's own; absent on an edge that cannot. */
  publishVideo?(options: VideoPublishOptions): VideoPublication;
  /** Leaves the call. Idempotent. */
  close(): Promise<void>;
}

/**
 * A Fastify plugin (`FastifyPluginAsync`), typed without Fastify's types so the spec has no
 * dependency: write it as `const plugin: FastifyPluginAsync = async (app) => {...}`.
 */
// biome-ignore lint/suspicious/noExplicitAny: Fastify's instance type, which the spec cannot name
export type EdgeRoutesPlugin = (app: any, options: any) => Promise<void>;

/**
 * Routes an edge serves on the agent server (signalling, a demo page), registered once. Every
 * route whose path has a `:call_id` parameter is guarded by the server's join check
 * (docs/security.md): an edge never has to remember to check who may join a call.
 */
export interface EdgeHttpRoutes {
  /** Unique per edge kind, so a server registers each kind once. */
  readonly name: string;
  readonly plugin: EdgeRoutesPlugin;
}

/** A vendor-neutral edge network: Stream's SFU, the local browser edge, a test fake. */
export interface Edge {
  readonly provider: string;
  warmup?(options: WarmupOptions): Promise<void>;
  createCall(type: string, id: string): Promise<Call>;
  join(call: Call, options: EdgeJoinOptions): Promise<EdgeConnection>;
  /** HTTP routes the server that runs this agent must serve, if any. */
  httpRoutes?(): EdgeHttpRoutes;
  /**
   * A page where a person can join `call`, given the server's base URL; without a call, a page
   * that starts a session itself (what `serve` prints).
   */
  demoUrl?(call: Call | undefined, baseUrl: string): string | undefined;
  close?(): Promise<void>;
}
