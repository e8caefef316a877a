// One agent's presence in a local call: what `edge.join()` returns (the EdgeConnection contract).
import { TypedEmitter } from "@callwright/provider-utils";
import type {
  AgentUiEvent,
  AudioFrame,
  Call,
  EdgeConnection,
  EdgeConnectionEvents,
  Logger,
  Participant,
  VideoFrame,
  VideoPublication,
  VideoPublishOptions,
  VideoState,
  VideoSubscribeOptions,
  VideoSubscription,
} from "callwright";
import { ClosedError } from "callwright";
import type { LocalCall } from "./call.js";

export class LocalEdgeConnection implements EdgeConnection {
  readonly call: Call;
  readonly outputSampleRateHz: number;
  readonly agentUser: { readonly id: string; readonly name: string };
  readonly logger: Logger;
  readonly #localCall: LocalCall;
  readonly #events: TypedEmitter<EdgeConnectionEvents>;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #videoSubscriptions = new Set<VideoSubscription>();
  readonly #publications = new Set<VideoPublication>();
  readonly #onClosed: (() => void) | undefined;

  constructor(
    localCall: LocalCall,
    options: {
      agentUser: { readonly id: string; readonly name: string };
      logger: Logger;
      /** Called once when the connection closes, whichever side ends it. */
      onClosed?: () => void;
    },
  ) {
    this.#onClosed = options.onClosed;
    this.#localCall = localCall;
    this.call = { type: localCall.type, id: localCall.id };
    this.outputSampleRateHz = localCall.audio.outputSampleRateHz;
    this.agentUser = options.agentUser;
    this.logger = options.logger;
    this.#events = new TypedEmitter<EdgeConnectionEvents>((error, event) =>
      this.logger.error({ err: error, event }, "local edge connection listener threw"),
    );
  }

  get participants(): ReadonlyMap<string, Participant> {
    return this.#localCall.participants;
  }

  get closed(): boolean {
    return this.#closed;
  }

  on<E extends keyof EdgeConnectionEvents>(
    event: E,
    listener: (...args: EdgeConnectionEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  sendAudio(frame: AudioFrame): void {
    if (this.#closed) return;
    this.#localCall.sendAgentAudio(frame);
  }

  clearAudio(): void {
    if (this.#closed) return;
    this.#localCall.clearAgentAudio();
  }

  sendEvent(event: AgentUiEvent): void {
    if (this.#closed) return;
    this.#localCall.relay(event);
  }

  subscribeVideo(
    participantId: string,
    options: VideoSubscribeOptions,
    onFrame: (frame: VideoFrame) => void,
  ): VideoSubscription {
    if (this.#closed) throw new ClosedError("local edge connection");
    const subscription = this.#localCall.subscribeVideo(participantId, options, onFrame);
    this.#videoSubscriptions.add(subscription);
    return {
      close: () => {
        this.#videoSubscriptions.delete(subscription);
        subscription.close();
      },
    };
  }

  videoState(participantId: string): VideoState {
    return this.#localCall.videoState(participantId);
  }

  publishVideo(options: VideoPublishOptions): VideoPublication {
    if (this.#closed) throw new ClosedError("local edge connection");
    const publication = this.#localCall.publishVideo(options);
    this.#publications.add(publication);
    return publication;
  }

  #releaseVideo(): void {
    for (const s of this.#videoSubscriptions) s.close();
    this.#videoSubscriptions.clear();
    for (const p of this.#publications) p.close();
    this.#publications.clear();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#releaseVideo();
      this.#events.removeAllListeners();
      this.#localCall.removeAgent(this);
      this.#onClosed?.();
    })();
    return this.#closing;
  }

  /** Called by the call: passes an event on to the agent. */
  deliver<E extends keyof EdgeConnectionEvents>(event: E, ...args: EdgeConnectionEvents[E]): void {
    if (this.#closed) return;
    this.#events.emit(event, ...args);
  }

  /** Called by the call when it ends without this connection asking: the last event. */
  end(reason: string): void {
    if (this.#closed) return;
    this.#events.emit("closed", reason);
    this.#closed = true;
    this.#releaseVideo();
    this.#closing = Promise.resolve();
    this.#events.removeAllListeners();
    this.#onClosed?.();
  }
}
