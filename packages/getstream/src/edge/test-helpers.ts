// Shared by the edge's tests: speech from flite, a tone, an agent joined to a FakeStream call.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AudioFrame,
  type EdgeConnection,
  frameRms,
  type Participant,
  readWav,
  resample,
  silentLogger,
} from "callwright";
import type { FakeStream } from "../testing/fake-stream.js";
import { Edge, type GetstreamEdgeOptions } from "./edge.js";

/** `text` spoken by flite (voice slt), 48 kHz mono PCM. */
export function fliteSpeech(text: string): Int16Array {
  const file = join(tmpdir(), `callwright-getstream-${process.pid}-${text.length}.wav`);
  execFileSync("flite", ["-voice", "slt", "-t", text, "-o", file]);
  const wav = readWav(readFileSync(file));
  return resample(wav, 48000).samples;
}

/** `ms` of a 440 Hz tone at 48 kHz, as 20 ms frames. */
export function toneFrames(ms: number, amplitude = 0.3): AudioFrame[] {
  const frames: AudioFrame[] = [];
  for (let f = 0; f < ms / 20; f++) {
    const s = new Int16Array(960);
    for (let i = 0; i < 960; i++)
      s[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000));
    frames.push({ samples: s, sampleRateHz: 48000, channels: 1 });
  }
  return frames;
}

/** Sends frames paced at 20 ms (as the voice loop does). */
export async function sendPaced(connection: EdgeConnection, frames: AudioFrame[]): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < frames.length; i++) {
    connection.sendAudio(frames[i]!);
    const wait = start + (i + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

export async function until(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function fastEdge(fake: FakeStream, options: GetstreamEdgeOptions = {}): Edge {
  return new Edge({
    env: fake.env,
    bindAddress: "127.0.0.1",
    rejoinBackoffMs: 20,
    requestRetry: { maxRetries: 2, baseDelayMs: 10 },
    ...options,
  });
}

export interface JoinedAgent {
  connection: EdgeConnection;
  events: string[];
  audio: { participantId: string; frame: AudioFrame; atMs: number }[];
  /** RMS of everything heard since `sinceMs`. */
  heardRms(sinceMs?: number): number;
}

export async function joinAgent(edge: Edge, callId: string, agentId = "agent"): Promise<JoinedAgent> {
  const call = await edge.createCall("default", callId);
  const connection = await edge.join(call, {
    agentUser: { id: agentId, name: "Assistant" },
    signal: new AbortController().signal,
    logger: silentLogger,
  });
  const events: string[] = [];
  const audio: JoinedAgent["audio"] = [];
  connection.on("participant_joined", (p: Participant) => events.push(`joined:${p.name}`));
  connection.on("participant_left", (p: Participant, reason) => events.push(`left:${p.name}:${reason}`));
  connection.on("closed", (reason) => events.push(`closed:${reason}`));
  connection.on("audio", (participantId, frame) =>
    audio.push({ participantId, frame, atMs: performance.now() }),
  );
  return {
    connection,
    events,
    audio,
    heardRms(sinceMs = 0) {
      const frames = audio.filter((a) => a.atMs >= sinceMs).map((a) => frameRms(a.frame));
      return frames.length === 0 ? 0 : Math.sqrt(frames.reduce((s, r) => s + r * r, 0) / frames.length);
    },
  };
}
