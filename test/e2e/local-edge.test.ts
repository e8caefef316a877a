// The local edge with a real browser: headless Chromium opens the demo page, its microphone is a
// WAV of flite speech, and a test agent (driving `edge.join` directly) listens, talks back with a
// tone and sends UI events. Real WebRTC over loopback, real Opus, real data channel.
import type { Participant } from "callwright";
import { type EdgeConnection, frameRms } from "callwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  browserSkipReason,
  type Harness,
  joinAsAgent,
  launchChromium,
  playFrames,
  speechWav,
  startHarness,
  toneFrames,
} from "./helpers/local-edge-harness.js";

const skip = browserSkipReason();
if (skip !== undefined) console.warn(`skipping the local edge browser tests: ${skip}`);

/** Resolves with the first value `pick` returns for an event, or rejects after `timeoutMs`. */
function waitFor<T>(
  subscribe: (cb: (...args: never[]) => void) => () => void,
  pick: (...args: never[]) => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const off = subscribe((...args) => {
      const value = pick(...args);
      if (value === undefined) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

function joinedEvent(connection: EdgeConnection, timeoutMs = 10_000): Promise<Participant> {
  return waitFor(
    (cb) => connection.on("participant_joined", cb as (p: Participant) => void),
    (p: Participant) => p,
    timeoutMs,
    "participant_joined",
  );
}

/** Resolves when `participantId`'s audio reaches an RMS of `minRms` (speech, not silence). */
function speechFrom(connection: EdgeConnection, participantId: string, minRms = 0.02): Promise<number> {
  return waitFor(
    (cb) => connection.on("audio", cb as (id: string, f: Parameters<typeof frameRms>[0]) => void),
    (id: string, frame: Parameters<typeof frameRms>[0]) => {
      if (id !== participantId) return undefined;
      const rms = frameRms(frame);
      return rms >= minRms ? rms : undefined;
    },
    10_000,
    `speech from ${participantId}`,
  );
}

async function inboundAudio(page: Page): Promise<{ energy: number; packets: number }> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { callwright: { pc?: RTCPeerConnection } }).callwright.pc;
    if (pc === undefined) return { energy: 0, packets: 0 };
    const stats = await pc.getStats();
    let out = { energy: 0, packets: 0 };
    stats.forEach(
      (r: { type: string; kind?: string; totalAudioEnergy?: number; packetsReceived?: number }) => {
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          out = { energy: r.totalAudioEnergy ?? 0, packets: r.packetsReceived ?? 0 };
        }
      },
    );
    return out;
  });
}

async function offerFromBrowser(page: Page, withAudio: boolean): Promise<string> {
  return page.evaluate(async (audio) => {
    const pc = new RTCPeerConnection();
    if (audio) pc.addTransceiver("audio", { direction: "sendrecv" });
    else pc.createDataChannel("only-data");
    await pc.setLocalDescription(await pc.createOffer());
    const sdp = pc.localDescription?.sdp ?? "";
    pc.close();
    return sdp;
  }, withAudio);
}

describe.skipIf(skip !== undefined)("local edge with headless Chromium", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    const wav = speechWav("Hello there. What is the weather like in Paris today?", "local-edge-mic");
    h = await startHarness({ callWaitMs: 1000, mediaTimeoutMs: 1500, disconnectGraceMs: 1500 });
    browser = await launchChromium(wav);
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  test("a browser joins from the demo page, is heard, hears the agent and shows its events", async () => {
    const agent = await joinAsAgent(h.edge, "call-one");
    const joined = joinedEvent(agent);
    const page = await browser.newPage();
    try {
      await page.goto(`${h.baseUrl}/?call_id=call-one&autostart=1&name=Alice`);
      const participant = await joined;
      expect(participant.name).toBe("Alice");
      expect([...agent.participants.keys()]).toEqual([participant.id]);

      // The browser's speech reaches the agent as PCM with energy, at the rate the edge documents.
      let rate = 0;
      agent.on("audio", (_id, frame) => {
        rate = frame.sampleRateHz;
      });
      expect(await speechFrom(agent, participant.id)).toBeGreaterThan(0.02);
      expect(rate).toBe(16000);

      // The agent's audio reaches the browser and is played.
      const before = await inboundAudio(page);
      await playFrames(agent, toneFrames(600, 440));
      await expect
        .poll(async () => (await inboundAudio(page)).energy, { timeout: 5000 })
        .toBeGreaterThan(before.energy);
      expect((await inboundAudio(page)).packets).toBeGreaterThanOrEqual(25);

      // UI events show on the page.
      agent.sendEvent({ type: "agent_state", state: "thinking" });
      agent.sendEvent({
        type: "transcript",
        role: "user",
        participantId: participant.id,
        text: "what is the weather like in paris",
        final: true,
        turnId: 1,
      });
      agent.sendEvent({ type: "transcript", role: "agent", text: "Sunny and mild.", final: true, turnId: 1 });
      agent.sendEvent({
        type: "turn_metrics",
        turnId: 1,
        trailingSilenceMs: 500,
        sttMs: 120,
        llmFirstTokenMs: 230,
        ttsFirstAudioMs: 85,
        e2eMs: 612,
        frameworkMs: 12,
      });
      await expect
        .poll(() => page.locator("#transcript").textContent())
        .toContain("what is the weather like in paris");
      await expect.poll(() => page.locator("#transcript").textContent()).toContain("Sunny and mild.");
      await expect.poll(() => page.locator("#agent-state").getAttribute("data-state")).toBe("thinking");
      await expect.poll(() => page.locator("#lat-total").textContent()).toBe("612 ms");
      agent.sendEvent({ type: "error", source: "llm", message: "the model timed out" });
      await expect
        .poll(() => page.locator("#transcript .notice").textContent())
        .toBe("llm: the model timed out");

      // A hostile page message is ignored; the call goes on.
      await page.evaluate(() => {
        const dc = (window as unknown as { callwright: { dc: RTCDataChannel } }).callwright.dc;
        dc.send("x".repeat(100_000));
        dc.send("{not json");
        dc.send(
          JSON.stringify({ type: "transcript", role: "agent", text: "forged", final: true, turnId: 9 }),
        );
      });
      agent.sendEvent({ type: "agent_state", state: "listening" });
      await expect.poll(() => page.locator("#agent-state").getAttribute("data-state")).toBe("listening");
      expect(agent.participants.size).toBe(1);

      // The agent leaves: the call ends and the page says so.
      await agent.close();
      await expect.poll(() => page.locator("#conn-state").getAttribute("data-state")).toBe("ended");
      expect(h.hub.getCall("call-one")).toBeUndefined();
    } finally {
      await page.close();
    }
  });

  test("two browsers in one call are heard separately; closing one makes it leave", async () => {
    const agent = await joinAsAgent(h.edge, "call-two");
    const ids: string[] = [];
    const bothJoined = waitFor(
      (cb) => agent.on("participant_joined", cb as (p: Participant) => void),
      (p: Participant) => {
        ids.push(p.id);
        return ids.length === 2 ? ids : undefined;
      },
      10_000,
      "two participants",
    );
    const first = await browser.newPage();
    const second = await browser.newPage();
    try {
      await first.goto(`${h.baseUrl}/?call_id=call-two&autostart=1&name=First`);
      await second.goto(`${h.baseUrl}/?call_id=call-two&autostart=1&name=Second`);
      const [a, b] = await bothJoined;
      expect(a).not.toBe(b);
      await Promise.all([speechFrom(agent, a!), speechFrom(agent, b!)]);
      expect(agent.participants.size).toBe(2);

      const firstId = await first.evaluate(
        () => (window as unknown as { callwright: { participantId: string } }).callwright.participantId,
      );
      const left = waitFor(
        (cb) => agent.on("participant_left", cb as (p: Participant, r: string) => void),
        (p: Participant, reason: string) => ({ id: p.id, reason }),
        10_000,
        "participant_left",
      );
      await first.close();
      expect(await left).toEqual({ id: firstId, reason: "left" });
      expect([...agent.participants.keys()]).toEqual([firstId === a ? b : a]);
    } finally {
      if (!first.isClosed()) await first.close();
      await second.close();
      await agent.close();
    }
  });

  test("when the connection drops, the page reconnects as the same participant; the agent sees no leave", async () => {
    const agent = await joinAsAgent(h.edge, "call-reconnect");
    const joined = joinedEvent(agent);
    const events: string[] = [];
    agent.on("participant_left", (p) => events.push(`left:${p.id}`));
    agent.on("participant_joined", (p) => events.push(`joined:${p.id}`));
    const page = await browser.newPage();
    try {
      await page.goto(`${h.baseUrl}/?call_id=call-reconnect&autostart=1`);
      const participant = await joined;
      events.length = 0;
      await page.waitForFunction(() => {
        const cw = (window as unknown as { callwright: { connection: string; dc?: RTCDataChannel } })
          .callwright;
        return cw.connection === "connected" && cw.dc?.readyState === "open";
      });
      const call = h.hub.getCall("call-reconnect")!;
      const first = call.peers.get(participant.id)!;
      // The server's end of the connection dies (as in a network blip on the server's side).
      first.close();
      await expect.poll(() => call.peers.get(participant.id) !== first, { timeout: 10_000 }).toBe(true);
      await expect
        .poll(() =>
          page.evaluate(
            () => (window as unknown as { callwright: { connection: string } }).callwright.connection,
          ),
        )
        .toBe("connected");
      expect(await speechFrom(agent, participant.id)).toBeGreaterThan(0.02);
      expect(events).toEqual([]);
      expect([...agent.participants.keys()]).toEqual([participant.id]);
    } finally {
      await page.close();
      await agent.close();
    }
  });

  test("a browser whose media stops (vanished) leaves after the timeout", async () => {
    const agent = await joinAsAgent(h.edge, "call-vanish");
    const joined = joinedEvent(agent);
    const page = await browser.newPage();
    try {
      await page.goto(`${h.baseUrl}/?call_id=call-vanish&autostart=1`);
      const participant = await joined;
      const left = waitFor(
        (cb) => agent.on("participant_left", cb as (p: Participant, r: string) => void),
        (p: Participant, reason: string) => ({ id: p.id, reason }),
        10_000,
        "participant_left",
      );
      // The browser stops sending without any goodbye (as a machine that drops off the network).
      await page.evaluate(async () => {
        const pc = (window as unknown as { callwright: { pc: RTCPeerConnection } }).callwright.pc;
        for (const sender of pc.getSenders()) await sender.replaceTrack(null);
      });
      expect(await left).toEqual({ id: participant.id, reason: "timeout" });
      expect(agent.participants.size).toBe(0);
    } finally {
      await page.close();
      await agent.close();
    }
  });

  test("bad offers: 400 for malformed SDP or no audio, 422 for a bad body, 404 for an unknown call", async () => {
    await joinAsAgent(h.edge, "call-bad");
    const page = await browser.newPage();
    try {
      const post = (callId: string, body: unknown) =>
        fetch(`${h.baseUrl}/local/calls/${callId}/offer`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });

      const garbage = await post("call-bad", { type: "offer", sdp: "hello, I am not SDP" });
      expect(garbage.status).toBe(400);
      expect((await garbage.json()).detail).toMatch(/malformed SDP/);

      const noAudio = await post("call-bad", { type: "offer", sdp: await offerFromBrowser(page, false) });
      expect(noAudio.status).toBe(400);
      expect((await noAudio.json()).detail).toMatch(/no audio/);

      const noSdp = await post("call-bad", { type: "offer" });
      expect(noSdp.status).toBe(422);
      expect((await noSdp.json()).detail[0].loc).toEqual(["body", "sdp"]);

      const audioOffer = await offerFromBrowser(page, true);
      const unknown = await post("no-such-call", { type: "offer", sdp: audioOffer });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).detail).toMatch(/no-such-call/);

      // An offer for a call that is being created waits for it.
      const pending = post("call-late", { type: "offer", sdp: audioOffer });
      setTimeout(() => void h.edge.createCall("default", "call-late"), 200);
      const late = await pending;
      expect(late.status).toBe(200);
      const answer = await late.json();
      expect(answer.type).toBe("answer");
      expect(answer.sdp).toMatch(/^v=0/);
      expect(answer.sdp).toMatch(/a=rtpmap:\d+ opus\/48000/);
      expect(typeof answer.participant_id).toBe("string");
    } finally {
      await page.close();
    }
  });
});
