// The example plugin of docs/writing-a-plugin.md, tested the way every provider plugin is: against
// a protocol fake on the fake kit, with its faults, and inside an agent's voice loop.

import type { FakeServer } from "@callwright/provider-utils/testing";
import type { SttPart } from "@callwright/spec";
import { ConfigError, ProviderError } from "@callwright/spec";
import { Agent, audioFrame } from "callwright";
import { concat, FakeEdge, FakeLLM, FakeTTS, nextEvent, silence, speechLike } from "callwright/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAcme } from "./acme-fake.js";
import { AcmeSTT } from "./acme-stt.js";

let acme: FakeServer;
beforeEach(async () => {
  acme = await startFakeAcme();
});
afterEach(async () => {
  await acme.close();
});

const stt = (extra: Partial<ConstructorParameters<typeof AcmeSTT>[0]> = {}) =>
  new AcmeSTT({ apiKey: "acme-test-key", baseUrl: acme.httpUrl, ...extra });

async function collect(stream: AsyncIterable<SttPart>): Promise<SttPart[]> {
  const parts: SttPart[] = [];
  for await (const p of stream) parts.push(p);
  return parts;
}

describe("the example Acme STT plugin", () => {
  it("streams audio and answers a flush with a final for the segment", async () => {
    const stream = stt().stream({ signal: new AbortController().signal });
    // 300 ms of 16 kHz audio: three "words".
    stream.push(audioFrame(new Int16Array(4800), 16000));
    stream.flush();
    stream.end();
    const parts = await collect(stream);
    expect(parts.at(-1)).toEqual({ type: "final", text: "word word word", segmentEnd: true });
    expect(parts.some((p) => p.type === "interim")).toBe(true);
    const received = acme.sockets[0]!.received;
    expect(received[0]?.binary).toBe(true);
    expect(received.slice(1).map((m) => m.data)).toEqual(['{"type":"flush"}', '{"type":"close"}']);
  });

  it("names the variable when there is no key, and says to check it when the key is wrong", async () => {
    expect(() => new AcmeSTT({}, {})).toThrow(ConfigError);
    expect(() => new AcmeSTT({}, {})).toThrow(/set ACME_API_KEY/);
    const error = await stt({ apiKey: "wrong" })
      .warmup()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "auth", retryable: false });
    expect((error as Error).message).toMatch(/invalid API key.*Check ACME_API_KEY/);
  });

  it("ends its stream with an error part when the service drops the connection", async () => {
    acme.faults.dropAfterMessages = 1;
    const stream = stt().stream({ signal: new AbortController().signal });
    stream.push(audioFrame(new Int16Array(1600), 16000));
    const parts = await collect(stream);
    expect(parts[0]).toEqual({ type: "interim", text: "word" });
    expect(parts.at(-1)).toMatchObject({ type: "error", recoverable: false, error: { kind: "connection" } });
  });

  it("hears a user inside an agent's voice loop", async () => {
    const edge = new FakeEdge({ outputSampleRateHz: 48000 });
    const llm = new FakeLLM({ respond: (request) => `You said ${request.messages.at(-1)?.content}.` });
    const agent = new Agent({ edge, llm, stt: stt(), tts: new FakeTTS() });
    try {
      await agent.join(await agent.createCall("default", "acme-call"));
      const answered = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final);
      edge.connection.feedAudio(
        "alice",
        concat(
          speechLike({ durationMs: 600, sampleRateHz: 48000 }),
          silence({ durationMs: 800, sampleRateHz: 48000 }),
        ),
      );
      const [reply] = await answered;
      expect(reply.text).toMatch(/^You said word( word)+\.$/);
    } finally {
      await agent.close();
    }
  });
});
