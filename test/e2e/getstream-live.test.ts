// Opt-in: the Stream edge against real Stream when STREAM_API_KEY and STREAM_API_SECRET are set
// (skipped, with the reason printed, otherwise). The agent joins a fresh call, a scripted person
// joins it through the same protocol, each hears the other's tone, then the agent leaves.
import { randomUUID } from "node:crypto";
import * as getstream from "@callwright/getstream";
import { ScriptedPerson } from "@callwright/getstream/testing";
import { type AudioFrame, frameRms, silentLogger } from "callwright";
import { describe, expect, it } from "vitest";

const key = process.env.STREAM_API_KEY;
const secret = process.env.STREAM_API_SECRET;
const skip = key && secret ? undefined : "STREAM_API_KEY and STREAM_API_SECRET are not set";
if (skip !== undefined) console.log(`skip: live Stream test: ${skip}`);

function tone(ms: number): AudioFrame[] {
  return Array.from({ length: ms / 20 }, (_, f) => {
    const s = new Int16Array(960);
    for (let i = 0; i < 960; i++)
      s[i] = Math.round(9000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000));
    return { samples: s, sampleRateHz: 48000, channels: 1 };
  });
}

describe.skipIf(skip !== undefined)("getstream.Edge against real Stream (opt-in)", () => {
  it("joins a call, hears a person and is heard, leaves", async () => {
    const edge = new getstream.Edge();
    await edge.warmup();
    const callId = `callwright-live-${randomUUID().slice(0, 8)}`;
    const call = await edge.createCall("default", callId);
    const connection = await edge.join(call, {
      agentUser: { id: "callwright-live-agent", name: "callwright live test" },
      signal: new AbortController().signal,
      logger: silentLogger,
    });
    const heard: number[] = [];
    connection.on("audio", (_id, frame) => heard.push(frameRms(frame)));
    const person = await ScriptedPerson.join({
      baseUrl: edge.options.baseUrl,
      apiKey: key!,
      apiSecret: secret!,
      callType: "default",
      callId,
      userId: "callwright-live-person",
    });
    try {
      await person.publishing(15_000);
      await expect.poll(() => connection.participants.size, { timeout: 15_000 }).toBe(1);
      const pcm = new Int16Array(48000 * 2);
      for (let i = 0; i < pcm.length; i++)
        pcm[i] = Math.round(9000 * Math.sin((2 * Math.PI * 300 * i) / 48000));
      await person.speak(pcm);
      await expect.poll(() => Math.max(0, ...heard), { timeout: 10_000 }).toBeGreaterThan(0.05);
      const since = performance.now();
      for (const frame of tone(2000)) {
        connection.sendAudio(frame);
        await new Promise((r) => setTimeout(r, 20));
      }
      await expect
        .poll(() => person.heardRms({ userId: "callwright-live-agent", sinceMs: since }), { timeout: 10_000 })
        .toBeGreaterThan(0.02);
    } finally {
      person.leave();
      await connection.close();
      await edge.close();
    }
  }, 90_000);
});
