// A scripted person for FakeStream (or real Stream): joins a call through the same protocol an
// agent uses (coordinator join, SFU session), publishes PCM paced in real time (e.g. a flite WAV)
// and records what it hears from everyone else.
import { NodeDataChannelBackend, OutboundAudio, type RtcPeerFactory } from "@callwright/webrtc";
import { CoordinatorClient } from "../coordinator/client.js";
import type { SfuParticipant } from "../sfu/participants.js";
import { defaultSfuSessionTimingOptions, type SessionLogger, SfuSession } from "../sfu/session.js";

export interface PersonOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  callType: string;
  callId: string;
  userId: string;
  name?: string;
  rtc?: RtcPeerFactory;
  rpcEncoding?: "protobuf" | "json";
}

const quiet: SessionLogger = { debug() {}, info() {}, warn() {} };

export class ScriptedPerson {
  readonly session: SfuSession;
  /** Everything heard, 48 kHz mono, with the sender's user id. */
  readonly heard: { userId: string; pcm: Int16Array; atMs: number }[] = [];
  #speaking: { cancel: () => void } | undefined;

  private constructor(session: SfuSession) {
    this.session = session;
    session.on("audio", (p: SfuParticipant, pcm) =>
      this.heard.push({ userId: p.userId, pcm, atMs: performance.now() }),
    );
  }

  static async join(options: PersonOptions): Promise<ScriptedPerson> {
    const coordinator = new CoordinatorClient({
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      baseUrl: options.baseUrl,
      requestTimeoutMs: 5000,
    });
    await coordinator.upsertUsers([{ id: options.userId, name: options.name ?? options.userId }]);
    const credentials = await coordinator.joinCall(options.callType, options.callId, options.userId);
    const outbound = new OutboundAudio({ bitrateBps: 32_000, complexity: 8, gapMs: 40 });
    const session = new SfuSession({
      ...defaultSfuSessionTimingOptions,
      credentials,
      userId: options.userId,
      rtc: options.rtc ?? new NodeDataChannelBackend(),
      rtcConfig: { bindAddress: "127.0.0.1", portRange: undefined, gatheringTimeoutMs: 2000 },
      outbound,
      decodeRateHz: 48000,
      rpcEncoding: options.rpcEncoding ?? "protobuf",
      logger: quiet,
    });
    const person = new ScriptedPerson(session);
    await session.join();
    return person;
  }

  /** Resolves once our audio track is up. */
  publishing(timeoutMs = 5000): Promise<void> {
    if (this.session.isPublishing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not publishing after ${timeoutMs} ms`)), timeoutMs);
      this.session.on("publishing", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends 48 kHz mono PCM in 20 ms frames, paced in real time; resolves when all was sent. */
  speak(pcm48k: Int16Array): Promise<void> {
    this.#speaking?.cancel();
    const frame = 960;
    const started = performance.now();
    let index = 0;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const cancel = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#speaking = { cancel };
      const tick = () => {
        const due = Math.floor((performance.now() - started) / 20) + 1;
        while (index < due && index * frame < pcm48k.length) {
          const chunk = new Int16Array(frame);
          chunk.set(pcm48k.subarray(index * frame, (index + 1) * frame));
          this.session.sendAudio({ samples: chunk, sampleRateHz: 48000, channels: 1 });
          index += 1;
        }
        if (index * frame >= pcm48k.length || this.session.closed) {
          this.#speaking = undefined;
          resolve();
          return;
        }
        timer = setTimeout(tick, 20 - ((performance.now() - started) % 20));
      };
      tick();
    });
  }

  /** RMS (0..1) of what was heard from `userId` (or anyone) since `sinceMs`. */
  heardRms(options: { userId?: string; sinceMs?: number } = {}): number {
    let sum = 0;
    let n = 0;
    for (const h of this.heard) {
      if (options.userId !== undefined && h.userId !== options.userId) continue;
      if (options.sinceMs !== undefined && h.atMs < options.sinceMs) continue;
      for (const s of h.pcm) sum += (s / 32768) ** 2;
      n += h.pcm.length;
    }
    return n === 0 ? 0 : Math.sqrt(sum / n);
  }

  leave(): void {
    this.#speaking?.cancel();
    this.session.close("the person left");
  }
}
