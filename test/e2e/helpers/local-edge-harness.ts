// Test harness for the local edge: the edge's routes on a Fastify of our own (127.0.0.1:0), a
// private call hub, an agent connection driven directly through `edge.join`, and headless
// Chromium with a WAV file as its microphone (speech made with flite).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallHub, type CallHubOptions, Edge } from "@callwright/local";
import { type AudioFrame, audioFrame, type EdgeConnection, silentLogger } from "callwright";
import Fastify, { type FastifyInstance } from "fastify";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CALLWRIGHT_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Why the browser tests cannot run here, or undefined when they can. `moreTools` maps further
 * commands a test needs to the Debian packages that install them.
 */
export function browserSkipReason(moreTools: Record<string, string> = {}): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;
  for (const [tool, packages] of Object.entries({ flite: "flite", sox: "sox", ...moreTools })) {
    try {
      execFileSync("which", [tool], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install ${packages})`;
    }
  }
  return undefined;
}

/**
 * A 48 kHz 16-bit mono WAV of `text` spoken by flite's kal16 voice, then `silenceS` of silence
 * (Chromium loops the file: the pause separates the utterances). Cached by name.
 */
export function speechWav(text: string, name: string, silenceS = 1): string {
  const dir = join(tmpdir(), "callwright-local-edge");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}.wav`);
  if (existsSync(out)) return out;
  const raw = join(dir, `${name}.16k.wav`);
  execFileSync("flite", ["-voice", "kal16", "-t", text, "-o", raw]);
  execFileSync("sox", [raw, "-r", "48000", "-c", "1", "-b", "16", out, "pad", "0", String(silenceS)]);
  return out;
}

/**
 * The microphone: a 48 kHz WAV of flite speaking each question, 1.5 s of silence before the first
 * (the page is still connecting when Chromium starts reading the file) and `pauseS` (default 4 s)
 * after each, room for the answer. Chromium loops the file.
 */
export function questionsWav(questions: readonly string[], options: { pauseS?: number } = {}): string {
  const pauseS = options.pauseS ?? 4;
  const dir = mkdtempSync(join(tmpdir(), "callwright-spoken-"));
  const parts = questions.map((text, i) => {
    const raw = join(dir, `q${i}.wav`);
    const padded = join(dir, `q${i}.48k.wav`);
    execFileSync("flite", ["-voice", "kal16", "-t", text, "-o", raw]);
    execFileSync("sox", [
      raw,
      "-r",
      "48000",
      "-c",
      "1",
      "-b",
      "16",
      padded,
      "pad",
      i === 0 ? "1.5" : "0",
      String(pauseS),
    ]);
    return padded;
  });
  const out = join(dir, "microphone.wav");
  execFileSync("sox", [...parts, out]);
  return out;
}

export async function launchChromium(microphoneWav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreDefaultArgs: ["--headless"],
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${microphoneWav}`,
      "--autoplay-policy=no-user-gesture-required",
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
}

export interface Harness {
  app: FastifyInstance;
  baseUrl: string;
  hub: CallHub;
  edge: Edge;
  close(): Promise<void>;
}

/** The local edge's routes on 127.0.0.1:0 with a private hub. */
export async function startHarness(
  hubOptions: CallHubOptions = {},
  configure: (app: FastifyInstance) => void = () => {},
): Promise<Harness> {
  const hub = new CallHub({ logger: silentLogger, ...hubOptions });
  const edge = new Edge({ hub });
  await edge.warmup();
  const app = Fastify({ logger: false });
  const routes = edge.httpRoutes();
  configure(app);
  await app.register(routes.plugin);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    hub,
    edge,
    async close() {
      await edge.close();
      await app.close();
    },
  };
}

/** Joins `callId` as a test agent (the call is created first). */
export async function joinAsAgent(edge: Edge, callId: string): Promise<EdgeConnection> {
  const call = await edge.createCall("default", callId);
  return edge.join(call, {
    agentUser: { id: "agent", name: "Test agent" },
    signal: new AbortController().signal,
    logger: silentLogger,
  });
}

/** A tone of `durationMs` at `frequencyHz`, as 20 ms frames at `sampleRateHz`. */
export function toneFrames(
  durationMs: number,
  frequencyHz: number,
  sampleRateHz = 48000,
  amplitude = 0.3,
): AudioFrame[] {
  const perFrame = sampleRateHz / 50;
  const frames: AudioFrame[] = [];
  let n = 0;
  for (let t = 0; t < durationMs; t += 20) {
    const s = new Int16Array(perFrame);
    for (let i = 0; i < perFrame; i++, n++) {
      s[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * n) / sampleRateHz));
    }
    frames.push(audioFrame(s, sampleRateHz));
  }
  return frames;
}

/** Sends frames in real time, one per 20 ms (as the voice loop does); resolves when all are sent. */
export function playFrames(connection: EdgeConnection, frames: AudioFrame[]): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    let i = 0;
    const tick = () => {
      while (i < frames.length && performance.now() - start >= i * 20) {
        connection.sendAudio(frames[i]!);
        i++;
      }
      if (i >= frames.length) resolve();
      else setTimeout(tick, Math.max(0, start + i * 20 - performance.now()));
    };
    tick();
  });
}

/** The audio energy the page has received from the agent so far (WebRTC inbound-rtp stats). */
export function inboundAudioEnergy(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { callwright: { pc: RTCPeerConnection } }).callwright.pc;
    let energy = 0;
    (await pc.getStats()).forEach((s: { type: string; kind?: string; totalAudioEnergy?: number }) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") energy += s.totalAudioEnergy ?? 0;
    });
    return energy;
  });
}
