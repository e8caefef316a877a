// The page a person opens, built on Stream's own JavaScript SDK (@stream-io/video-client, a
// dev-only dependency: bundled by esbuild into this page at test time, never shipped). It joins a
// call through whatever coordinator `baseURL` names (FakeStream in the tests) and speaks through
// Chromium's fake microphone. `window.person` drives it from playwright.
import { type Call, StreamVideoClient } from "@stream-io/video-client";

interface JoinArgs {
  apiKey: string;
  token: string;
  userId: string;
  name: string;
  baseURL: string;
  callType: string;
  callId: string;
}

let call: Call | undefined;
const log: string[] = [];

const person = {
  log,
  async join(args: JoinArgs): Promise<string> {
    try {
      const client = new StreamVideoClient({
        apiKey: args.apiKey,
        user: { id: args.userId, name: args.name },
        token: args.token,
        options: { baseURL: args.baseURL, logLevel: "warn", locationHintUrl: `${args.baseURL}/hint` },
      });
      call = client.call(args.callType, args.callId);
      await call.join({ create: false });
      log.push("joined");
      await call.microphone.enable();
      log.push("microphone on");
      return "ok";
    } catch (error) {
      log.push(`error: ${error instanceof Error ? error.stack : String(error)}`);
      return `error: ${error instanceof Error ? error.message : String(error)}`;
    }
  },
  /** Everyone else the SDK sees in the call. */
  participants(): { userId: string; name: string; sessionId: string; publishesAudio: boolean }[] {
    return (call?.state.remoteParticipants ?? []).map((p) => ({
      userId: p.userId,
      name: p.name,
      sessionId: p.sessionId,
      publishesAudio: p.publishedTracks.includes(1),
    }));
  },
  /** Plays `sessionId`'s audio in an <audio> element, as an app would. */
  listenTo(sessionId: string): boolean {
    const el = document.createElement("audio");
    el.autoplay = true;
    document.body.append(el);
    return call?.bindAudioElement(el, sessionId) !== undefined;
  },
  /** The subscriber connection's inbound audio: packets and total energy received. */
  async inboundAudio(): Promise<{ packetsReceived: number; totalAudioEnergy: number }> {
    const report = await call?.subscriber?.getStats();
    let packetsReceived = 0;
    let totalAudioEnergy = 0;
    report?.forEach(
      (s: { type?: string; kind?: string; packetsReceived?: number; totalAudioEnergy?: number }) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") {
          packetsReceived += s.packetsReceived ?? 0;
          totalAudioEnergy += s.totalAudioEnergy ?? 0;
        }
      },
    );
    return { packetsReceived, totalAudioEnergy };
  },
  async leave(): Promise<void> {
    await call?.leave();
  },
};

(window as unknown as { person: typeof person }).person = person;
