// The agent in one Stream call (core's EdgeConnection): an SFU session, replaced by a new one when
// the link drops or the SFU asks for a rejoin (bounded), participants kept across rejoins (no
// spurious leave/join), the agent's UI events sent as Stream custom events (5 KB each at most).

import { isRetryable, sleep, TypedEmitter } from "@callwright/provider-utils";
import {
  type AgentUiEvent,
  type AudioFrame,
  type Call,
  type EdgeConnection,
  type EdgeConnectionEvents,
  type Logger,
  type Participant,
  ProviderError,
} from "@callwright/spec";
import { OutboundAudio, type RtcPeerFactory } from "@callwright/webrtc";
import { type CoordinatorClient, MAX_CUSTOM_EVENT_BYTES } from "../coordinator/client.js";
import type { StreamError } from "../errors.js";
import type { SfuParticipant } from "../sfu/participants.js";
import { SfuSession, type SfuSessionEnd } from "../sfu/session.js";
import type { StreamEdgeOptions } from "./options.js";

/** Custom events waiting to be sent beyond this are dropped (a slow or failing API). */
const MAX_QUEUED_EVENTS = 100;

export interface StreamConnectionDeps {
  call: Call;
  agentUser: { readonly id: string; readonly name: string };
  coordinator: CoordinatorClient;
  rtc: RtcPeerFactory;
  options: StreamEdgeOptions;
  logger: Logger;
  signal: AbortSignal;
  /** Called once when the connection closes, whichever side ends it. */
  onClosed: () => void;
}

export class StreamEdgeConnection implements EdgeConnection {
  readonly call: Call;
  readonly outputSampleRateHz: number;
  /** Everyone else in the call, by Stream session id. */
  readonly participants = new Map<string, Participant>();
  readonly #deps: StreamConnectionDeps;
  readonly #events: TypedEmitter<EdgeConnectionEvents>;
  readonly #outbound: OutboundAudio;
  #session: SfuSession | undefined;
  #rejoins = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #abort = new AbortController();
  #eventChain: Promise<void> = Promise.resolve();
  #queuedEvents = 0;
  #droppedEvents = 0;

  private constructor(deps: StreamConnectionDeps) {
    this.#deps = deps;
    this.call = deps.call;
    this.outputSampleRateHz = deps.options.outputSampleRateHz;
    this.#events = new TypedEmitter<EdgeConnectionEvents>((error, event) =>
      deps.logger.error({ err: error, event }, "a Stream edge connection listener threw"),
    );
    this.#outbound = new OutboundAudio({
      bitrateBps: deps.options.opusBitrateBps,
      complexity: deps.options.opusComplexity,
      gapMs: 40,
    });
  }

  /** Joins (retrying a retryable failure within `maxRejoinAttempts`); throws StreamError otherwise. */
  static async open(deps: StreamConnectionDeps): Promise<StreamEdgeConnection> {
    const connection = new StreamEdgeConnection(deps);
    const signal = AbortSignal.any([deps.signal, connection.#abort.signal]);
    let attempt = 0;
    for (;;) {
      try {
        const session = await connection.#connect(undefined, signal);
        connection.#adopt(session, { announce: false });
        return connection;
      } catch (error) {
        attempt += 1;
        if (!isRetryable(error) || attempt > deps.options.maxRejoinAttempts || signal.aborted) {
          connection.#closed = true;
          connection.#abort.abort();
          throw error;
        }
        deps.logger.warn({ err: error, attempt }, "joining the Stream call failed; trying again");
        await sleep(deps.options.rejoinBackoffMs * 2 ** (attempt - 1), signal);
      }
    }
  }

  /** The current SFU session (for tests and the bench). */
  get session(): SfuSession | undefined {
    return this.#session;
  }

  /** How many times the connection rejoined (a new SFU session) since it opened. */
  get rejoins(): number {
    return this.#rejoins;
  }

  on<E extends keyof EdgeConnectionEvents>(
    event: E,
    listener: (...args: EdgeConnectionEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  sendAudio(frame: AudioFrame): void {
    if (this.#closed) return;
    this.#session?.sendAudio(frame);
  }

  clearAudio(): void {
    this.#outbound.clear();
  }

  sendEvent(event: AgentUiEvent): void {
    if (this.#closed) return;
    if (event.type === "transcript" && !event.final && !this.#deps.options.sendInterimTranscripts) return;
    const custom = fitCustomEvent(event);
    if (custom === undefined) {
      this.#deps.logger.warn(
        { type: event.type },
        "a UI event over Stream's 5 KB custom-event limit was dropped",
      );
      return;
    }
    if (this.#queuedEvents >= MAX_QUEUED_EVENTS) {
      this.#droppedEvents += 1;
      if (this.#droppedEvents === 1 || this.#droppedEvents % 100 === 0) {
        this.#deps.logger.warn(
          { dropped: this.#droppedEvents },
          "Stream custom events are backing up; dropping",
        );
      }
      return;
    }
    this.#queuedEvents += 1;
    const { coordinator, call, agentUser } = this.#deps;
    this.#eventChain = this.#eventChain.then(async () => {
      try {
        if (!this.#closed)
          await coordinator.sendCustomEvent(call.type, call.id, agentUser.id, custom, this.#abort.signal);
      } catch (error) {
        if (!this.#closed)
          this.#deps.logger.warn({ err: error, type: event.type }, "sending a UI event to Stream failed");
      } finally {
        this.#queuedEvents -= 1;
      }
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#events.removeAllListeners();
      this.#session?.close("the agent left");
      this.#session = undefined;
      this.#abort.abort();
      this.#deps.onClosed();
    })();
    return this.#closing;
  }

  async #connect(
    rejoin: { previousSessionId: string; attempt: number; reason: string } | undefined,
    signal: AbortSignal,
  ): Promise<SfuSession> {
    const { call, agentUser, coordinator, options, rtc, logger } = this.#deps;
    const credentials = await coordinator.joinCall(call.type, call.id, agentUser.id, signal);
    const session = new SfuSession({
      ...options,
      credentials,
      userId: agentUser.id,
      rtc,
      rtcConfig: {
        bindAddress: options.bindAddress,
        portRange: options.portRange,
        gatheringTimeoutMs: options.gatheringTimeoutMs,
      },
      outbound: this.#outbound,
      decodeRateHz: options.inputSampleRateHz,
      ...(rejoin === undefined ? {} : { rejoin }),
      logger,
    });
    try {
      await session.join(signal);
    } catch (error) {
      session.close("join failed");
      throw error;
    }
    return session;
  }

  /** Makes `session` current; participants it knows and we did not are announced (on a rejoin). */
  #adopt(session: SfuSession, { announce }: { announce: boolean }): void {
    this.#session = session;
    const now = new Map([...session.participants.values()].map((p) => [p.sessionId, toParticipant(p)]));
    for (const [id, p] of [...this.participants]) {
      if (!now.has(id)) {
        this.participants.delete(id);
        if (announce) this.#events.emit("participant_left", p, "left");
      }
    }
    for (const [id, p] of now) {
      if (!this.participants.has(id)) {
        this.participants.set(id, p);
        if (announce) this.#events.emit("participant_joined", p);
      }
    }
    session.on("participant_joined", (p) => {
      if (this.participants.has(p.sessionId)) return;
      const participant = toParticipant(p);
      this.participants.set(p.sessionId, participant);
      this.#events.emit("participant_joined", participant);
    });
    session.on("participant_left", (p) => {
      const participant = this.participants.get(p.sessionId);
      if (participant === undefined) return;
      this.participants.delete(p.sessionId);
      this.#events.emit("participant_left", participant, "left");
    });
    session.on("audio", (p, pcm, sampleRateHz) => {
      this.#events.emit("audio", p.sessionId, { samples: pcm, sampleRateHz, channels: 1 });
    });
    session.on("ended", (end) => this.#onEnded(session, end));
  }

  #onEnded(session: SfuSession, end: SfuSessionEnd): void {
    if (this.#closed || this.#session !== session) return;
    this.#session = undefined;
    if (end.kind === "call_ended") {
      this.#end(`the call ended (${end.reason})`);
      return;
    }
    this.#deps.logger.warn({ err: end.error, rejoin: end.rejoin }, "lost the Stream SFU session");
    if (!end.rejoin) {
      this.#end(end.error.message);
      return;
    }
    void this.#rejoin(session.sessionId, end.error);
  }

  async #rejoin(previousSessionId: string, cause: StreamError): Promise<void> {
    const { options, logger } = this.#deps;
    const signal = this.#abort.signal;
    let last: unknown = cause;
    for (let attempt = 1; attempt <= options.maxRejoinAttempts; attempt++) {
      try {
        await sleep(options.rejoinBackoffMs * 2 ** (attempt - 1), signal);
        const session = await this.#connect({ previousSessionId, attempt, reason: cause.message }, signal);
        if (this.#closed) {
          session.close("the agent left");
          return;
        }
        this.#rejoins += 1;
        this.#adopt(session, { announce: true });
        logger.info({ attempt, session_id: session.sessionId }, "rejoined the Stream call");
        return;
      } catch (error) {
        if (this.#closed || signal.aborted) return;
        last = error;
        logger.warn({ err: error, attempt }, "rejoining the Stream call failed");
        if (error instanceof ProviderError && error.kind === "auth") break;
      }
    }
    this.#end(
      `lost the Stream call (${cause.message}) and could not rejoin after ${options.maxRejoinAttempts} attempts: ${(last as Error).message}`,
    );
  }

  /** The call is over for this agent: `closed` is the last event. */
  #end(reason: string): void {
    if (this.#closed) return;
    this.#deps.logger.info({ reason }, "left the Stream call");
    this.#events.emit("closed", reason);
    this.#closed = true;
    this.#closing = Promise.resolve();
    this.#events.removeAllListeners();
    this.#session?.close(reason);
    this.#session = undefined;
    this.#abort.abort();
    this.#deps.onClosed();
  }
}

function toParticipant(p: SfuParticipant): Participant {
  return { id: p.sessionId, name: p.name || p.userId };
}

/** The event as a custom payload of at most 5 KB: a long transcript is cut, anything else dropped. */
export function fitCustomEvent(event: AgentUiEvent): Record<string, unknown> | undefined {
  const custom = { ...event } as Record<string, unknown>;
  const size = () => Buffer.byteLength(JSON.stringify(custom));
  if (size() <= MAX_CUSTOM_EVENT_BYTES) return custom;
  if (event.type !== "transcript" && event.type !== "error") return undefined;
  const key = event.type === "transcript" ? "text" : "message";
  let text = String(custom[key]);
  while (text.length > 0 && size() > MAX_CUSTOM_EVENT_BYTES) {
    text = text.slice(0, Math.floor(text.length * 0.9));
    custom[key] = `${text}…`;
    custom.truncated = true;
  }
  return size() <= MAX_CUSTOM_EVENT_BYTES ? custom : undefined;
}
