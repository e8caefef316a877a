import { TypedEmitter } from "@callwright/provider-utils";
import type {
  AgentUiEvent,
  Call,
  Edge,
  EdgeConnection,
  EdgeConnectionEvents,
  EdgeJoinOptions,
  Participant,
  VideoFrame,
  VideoState,
  VideoSubscribeOptions,
  VideoSubscription,
} from "@callwright/spec";
import { type AudioFrame, audioFrame } from "@callwright/spec";

export interface FakeEdgeOptions {
  /** Rate the fake connection asks agent audio in. Default 48000. */
  outputSampleRateHz?: number;
  /** Participants already in every call when the agent joins. Default none. */
  initialParticipants?: Participant[];
  /** Makes `join` fail, to test start-up errors. */
  failJoin?: Error;
}

/**
 * An in-process edge for tests and the control plane's default example: calls live in memory,
 * the test adds and removes participants, feeds them PCM, and reads what the agent played.
 */
export class FakeEdge implements Edge {
  readonly provider = "fake";
  readonly options: Required<Omit<FakeEdgeOptions, "failJoin">> & { failJoin?: Error };
  /** Every connection the agent made, newest last. */
  readonly connections: FakeConnection[] = [];
  warmups = 0;

  constructor(options: FakeEdgeOptions = {}) {
    this.options = {
      outputSampleRateHz: options.outputSampleRateHz ?? 48000,
      initialParticipants: options.initialParticipants ?? [],
      ...(options.failJoin ? { failJoin: options.failJoin } : {}),
    };
  }

  async warmup(): Promise<void> {
    this.warmups += 1;
  }

  async createCall(type: string, id: string): Promise<Call> {
    return { type, id };
  }

  async join(call: Call, options: EdgeJoinOptions): Promise<FakeConnection> {
    if (this.options.failJoin) throw this.options.failJoin;
    const connection = new FakeConnection(call, this.options.outputSampleRateHz, options);
    for (const p of this.options.initialParticipants) connection.participants.set(p.id, p);
    this.connections.push(connection);
    return connection;
  }

  /** The latest connection (throws when the agent never joined). */
  get connection(): FakeConnection {
    const c = this.connections.at(-1);
    if (c === undefined) throw new Error("the agent has not joined a call on this FakeEdge");
    return c;
  }
}

export class FakeConnection implements EdgeConnection {
  readonly participants = new Map<string, Participant>();
  /** Every frame the agent sent, in order. */
  readonly played: AudioFrame[] = [];
  /** performance.now() of each `sendAudio`, parallel to `played`. */
  readonly playedAtMs: number[] = [];
  /** Every UI event the agent relayed. */
  readonly uiEvents: AgentUiEvent[] = [];
  clears = 0;
  /** performance.now() of each `clearAudio`. */
  readonly clearedAtMs: number[] = [];
  closed = false;
  readonly #events = new TypedEmitter<EdgeConnectionEvents>();
  readonly #video = new Map<string, VideoState>();
  readonly #videoSubscribers = new Set<{ participantId: string; onFrame: (frame: VideoFrame) => void }>();
  readonly #playWaiters: { ms: number; resolve: () => void }[] = [];

  constructor(
    readonly call: Call,
    readonly outputSampleRateHz: number,
    readonly joinOptions: EdgeJoinOptions,
  ) {}

  on<E extends keyof EdgeConnectionEvents>(
    event: E,
    listener: (...args: EdgeConnectionEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  sendAudio(frame: AudioFrame): void {
    if (this.closed) return;
    this.played.push(frame);
    this.playedAtMs.push(performance.now());
    if (this.#playWaiters.length > 0) {
      const played = this.playedMs();
      for (const w of this.#playWaiters.filter((w) => played >= w.ms)) {
        this.#playWaiters.splice(this.#playWaiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves once the agent has sent at least `ms` of audio (rejects after `timeoutMs`, default 5000). */
  waitForPlayed(ms: number, options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.playedMs() >= ms) return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const waiter = {
        ms,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#playWaiters.splice(this.#playWaiters.indexOf(waiter), 1);
        reject(
          new Error(`the agent played ${this.playedMs()} ms of audio, not ${ms} ms, within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#playWaiters.push(waiter);
    });
  }

  clearAudio(): void {
    this.clears += 1;
    this.clearedAtMs.push(performance.now());
  }

  sendEvent(event: AgentUiEvent): void {
    this.uiEvents.push(event);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#events.removeAllListeners();
  }

  // ---- test controls ----

  /** A participant joins the call. */
  join(participant: Participant | string): Participant {
    const p = typeof participant === "string" ? { id: participant } : participant;
    this.participants.set(p.id, p);
    this.#events.emit("participant_joined", p);
    return p;
  }

  /** A participant leaves the call. */
  leave(participantId: string, reason: "left" | "timeout" | "removed" = "left"): void {
    const p = this.participants.get(participantId);
    if (p === undefined) return;
    this.participants.delete(participantId);
    this.#events.emit("participant_left", p, reason);
  }

  /** Feeds one frame of a participant's microphone to the agent. */
  videoState(participantId: string): VideoState {
    return this.#video.get(participantId) ?? { active: false };
  }

  subscribeVideo(
    participantId: string,
    _options: VideoSubscribeOptions,
    onFrame: (frame: VideoFrame) => void,
  ): VideoSubscription {
    const subscriber = { participantId, onFrame };
    this.#videoSubscribers.add(subscriber);
    return { close: () => this.#videoSubscribers.delete(subscriber) };
  }

  /** A participant's camera shows `frame`: their video turns on (first time) and subscribers get it. */
  showVideo(participantId: string, frame: VideoFrame): void {
    if (!this.videoState(participantId).active) {
      const state: VideoState = { active: true, source: "camera" };
      this.#video.set(participantId, state);
      this.#events.emit("video_state", participantId, state);
    }
    for (const s of [...this.#videoSubscribers]) if (s.participantId === participantId) s.onFrame(frame);
  }

  /** A participant's video turns off. */
  stopVideo(participantId: string): void {
    if (!this.videoState(participantId).active) return;
    this.#video.delete(participantId);
    this.#events.emit("video_state", participantId, { active: false });
  }

  feed(participantId: string, frame: AudioFrame): void {
    this.#events.emit("audio", participantId, frame);
  }

  /**
   * Feeds a whole recording (mono PCM at any rate) as a participant's microphone, cut into
   * `frameMs` frames, all at once (faster than real time: the voice loop works in audio time, so
   * it hears the same thing). Joins the participant first if needed.
   */
  feedAudio(participantId: string, audio: AudioFrame, options: { frameMs?: number } = {}): void {
    if (!this.participants.has(participantId)) this.join(participantId);
    const size =
      Math.max(1, Math.round(((options.frameMs ?? 20) * audio.sampleRateHz) / 1000)) * audio.channels;
    for (let i = 0; i < audio.samples.length; i += size) {
      this.feed(
        participantId,
        audioFrame(audio.samples.subarray(i, i + size), audio.sampleRateHz, audio.channels),
      );
    }
  }

  /**
   * Feeds a recording in real time, one `frameMs` frame per `frameMs` (drift-free), as a browser
   * would. Resolves when all of it was fed, or at once when `signal` aborts.
   */
  async feedAudioRealtime(
    participantId: string,
    audio: AudioFrame,
    options: { frameMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    if (!this.participants.has(participantId)) this.join(participantId);
    const frameMs = options.frameMs ?? 20;
    const size = Math.max(1, Math.round((frameMs * audio.sampleRateHz) / 1000)) * audio.channels;
    const start = performance.now();
    for (let i = 0, n = 0; i < audio.samples.length; i += size, n++) {
      if (options.signal?.aborted || this.closed) return;
      const wait = start + n * frameMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.feed(
        participantId,
        audioFrame(audio.samples.subarray(i, i + size), audio.sampleRateHz, audio.channels),
      );
    }
  }

  /** Frames the agent sent after clock time `atMs` (performance.now()). */
  playedAfter(atMs: number): number {
    return this.playedAtMs.filter((t) => t > atMs).length;
  }

  /** The call ends for everyone. */
  end(reason = "call ended"): void {
    this.#events.emit("closed", reason);
  }

  /** Total milliseconds of agent audio sent. */
  playedMs(): number {
    let ms = 0;
    for (const f of this.played) ms += (f.samples.length / f.channels / f.sampleRateHz) * 1000;
    return ms;
  }
}
