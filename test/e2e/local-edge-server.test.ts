// The local edge inside the real server: buildServer serves the demo page and the edge's routes
// (registered from the launcher's warm-up); the page starts its own session with POST /sessions,
// talks to a real Agent (voice loop with scripted STT/LLM/TTS), and its Stop closes the session
// with the beacon. Headless Chromium, real WebRTC over loopback.
import { CallHub, Edge } from "@callwright/local";
import { Agent, AgentLauncher, buildServer, silentLogger } from "callwright";
import { FakeLLM, FakeSTT, FakeTTS } from "callwright/testing";
import type { FastifyInstance } from "fastify";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { browserSkipReason, launchChromium, speechWav } from "./helpers/local-edge-harness.js";

const skip = browserSkipReason();

describe.skipIf(skip !== undefined)("local edge in the callwright server", () => {
  let app: FastifyInstance;
  let baseUrl: string;
  let browser: Browser;
  const hub = new CallHub({ logger: silentLogger });
  const stt = new FakeSTT({ transcripts: ["what time is it"] });
  const llm = new FakeLLM({ replies: ["It is noon, time for lunch."] });

  beforeAll(async () => {
    const launcher = new AgentLauncher({
      createAgent: () =>
        new Agent({ edge: new Edge({ hub }), stt, llm, tts: new FakeTTS({ outputSampleRateHz: 24000 }) }),
      joinCall: async (agent, callType, callId) => {
        const call = await agent.createCall(callType, callId);
        await using _session = await agent.join(call);
        await agent.finish();
      },
      logger: silentLogger,
    });
    // Guarded joins: the page must send the join token of the session it starts.
    app = buildServer(launcher, { requireJoinToken: true });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    baseUrl = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium(speechWav("What time is it?", "local-edge-server-mic", 4));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  test("the page starts a session, talks with the agent, and Stop closes the session", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${baseUrl}/?autostart=1`);
      const state = () =>
        page.evaluate(() => {
          const cw = (
            window as unknown as { callwright: { connection: string; sessionId?: string; callId?: string } }
          ).callwright;
          return { connection: cw.connection, sessionId: cw.sessionId, callId: cw.callId };
        });
      await expect.poll(async () => (await state()).connection, { timeout: 10_000 }).toBe("connected");
      const { sessionId, callId } = await state();
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const session = await fetch(`${baseUrl}/sessions/${sessionId}`);
      expect(session.status).toBe(200);
      expect((await session.json()).call_id).toBe(callId);

      // The agent heard the browser (STT got the audio), answered, and the page shows it all.
      await expect
        .poll(() => page.locator("#transcript").textContent(), { timeout: 15_000 })
        .toContain("what time is it");
      await expect
        .poll(() => page.locator("#transcript").textContent(), { timeout: 10_000 })
        .toContain("It is noon");
      expect(stt.pushedMs).toBeGreaterThan(300);
      await expect
        .poll(() => page.locator("#lat-total").textContent(), { timeout: 5000 })
        .toMatch(/^\d+ ms$/);
      await expect
        .poll(
          () =>
            page.evaluate(async () => {
              const pc = (window as unknown as { callwright: { pc: RTCPeerConnection } }).callwright.pc;
              let energy = 0;
              (await pc.getStats()).forEach(
                (r: { type: string; kind?: string; totalAudioEnergy?: number }) => {
                  if (r.type === "inbound-rtp" && r.kind === "audio") energy = r.totalAudioEnergy ?? 0;
                },
              );
              return energy;
            }),
          { timeout: 5000 },
        )
        .toBeGreaterThan(0);

      // Stop: the page leaves the call and closes its session with the beacon.
      await page.click("#start");
      await expect
        .poll(async () => (await fetch(`${baseUrl}/sessions/${sessionId}`)).status, { timeout: 10_000 })
        .toBe(404);
    } finally {
      await page.close();
    }
  });
});
