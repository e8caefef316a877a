// bench/local-edge: how fast a browser gets into a local call and hears the agent.
// Headless Chromium opens the demo page against the local edge's routes (127.0.0.1); prints ONE line:
//   answer   offer received → answer sent (server), and the page's POST round trip
//   listen   offer received → participant_joined on the agent's connection (it can hear the browser)
//   audio    agent sendAudio() of a click → the page's AnalyserNode sees it (one way, including
//            Opus, the network, Chrome's jitter buffer and WebAudio)
//   cpu      this process's CPU over 3 s of audio both ways with one browser (Opus encode and
//            decode, RTP, SRTP; the playwright client runs in this process too)
// Targets: answer ≤ 50 ms, listen ≤ 150 ms. Bounded: 3 joins, 5 clicks, 60 s at most.
import type { Participant } from "callwright";
import {
  browserSkipReason,
  joinAsAgent,
  launchChromium,
  playFrames,
  speechWav,
  startHarness,
  toneFrames,
} from "../test/e2e/helpers/local-edge-harness.js";
import { median } from "./_stats.js";

const JOINS = 3;
const CLICKS = 5;
const CPU_WINDOW_MS = 3000;
const deadline = setTimeout(() => {
  console.log("local-edge: FAILED (did not finish within 60 s)");
  process.exit(1);
}, 60_000);

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

const skip = browserSkipReason();
if (skip !== undefined) {
  console.log(`local-edge: skipped (${skip})`);
  process.exit(0);
}

const offerAt = new Map<string, number>();
const h = await startHarness({}, (app) => {
  app.addHook("onRequest", async (request) => {
    const m = /^\/local\/calls\/([^/]+)\/offer$/.exec(request.url);
    if (m !== null) offerAt.set(decodeURIComponent(m[1]!), performance.now());
  });
});
const browser = await launchChromium(speechWav("Testing one two three.", "bench-local-edge"));

const answerMs: number[] = [];
const roundTripMs: number[] = [];
const listenMs: number[] = [];
const audioMs: number[] = [];
let cpuPercent = Number.NaN;

try {
  for (let i = 0; i < JOINS; i++) {
    const callId = `bench-${i}`;
    const agent = await joinAsAgent(h.edge, callId);
    const joined = new Promise<number>((resolve) => {
      agent.on("participant_joined", (_p: Participant) => resolve(performance.now()));
    });
    const page = await browser.newPage();
    // Time the page's own POST of the offer.
    await page.addInitScript(() => {
      const original = window.fetch;
      window.fetch = async (input, init) => {
        const started = performance.now();
        const response = await original(input, init);
        if (String(input).endsWith("/offer")) {
          const w = window as unknown as { offerRoundTripMs: number; answerMs: number };
          w.offerRoundTripMs = performance.now() - started;
          w.answerMs = Number(/dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "")?.[1]);
        }
        return response;
      };
    });
    await page.goto(`${h.baseUrl}/?call_id=${callId}&autostart=1`);
    const joinedAt = await joined;
    listenMs.push(joinedAt - offerAt.get(callId)!);
    await page.waitForFunction(
      () =>
        (window as unknown as { callwright: { connection: string } }).callwright.connection === "connected",
    );
    const timing = await page.evaluate(() => {
      const w = window as unknown as { offerRoundTripMs: number; answerMs: number };
      return { answerMs: w.answerMs, roundTripMs: w.offerRoundTripMs };
    });
    answerMs.push(timing.answerMs);
    roundTripMs.push(timing.roundTripMs);

    if (i === JOINS - 1) {
      // One-way latency: a 100 ms click after silence, detected by an analyser in the page.
      await page.evaluate(() => {
        const w = window as unknown as { callwright: { pc: RTCPeerConnection }; onsets: number[] };
        w.onsets = [];
        const receiver = w.callwright.pc.getReceivers().find((r) => r.track.kind === "audio")!;
        const ctx = new AudioContext();
        const source = ctx.createMediaStreamSource(new MediaStream([receiver.track]));
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 256;
        source.connect(analyser);
        const data = new Float32Array(analyser.fftSize);
        let loud = false;
        setInterval(() => {
          analyser.getFloatTimeDomainData(data);
          let sum = 0;
          for (const v of data) sum += v * v;
          const rms = Math.sqrt(sum / data.length);
          if (!loud && rms > 0.02) w.onsets.push(performance.timeOrigin + performance.now());
          loud = rms > 0.005;
        }, 1);
      });
      await new Promise((r) => setTimeout(r, 500));
      const sentAt: number[] = [];
      for (let c = 0; c < CLICKS; c++) {
        sentAt.push(performance.timeOrigin + performance.now());
        await playFrames(agent, toneFrames(100, 1000));
        await new Promise((r) => setTimeout(r, 500));
      }
      const onsets = await page.evaluate(() => (window as unknown as { onsets: number[] }).onsets);
      for (const t of sentAt) {
        const onset = onsets.find((o) => o >= t && o - t < 400);
        if (onset !== undefined) audioMs.push(onset - t);
      }
      // CPU with audio flowing both ways (the page's microphone in, a tone out).
      const tone = toneFrames(CPU_WINDOW_MS, 300);
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      await playFrames(agent, tone);
      const cpu = process.cpuUsage(cpu0);
      cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100;
    }
    await page.close();
    await agent.close();
  }
  const audio =
    audioMs.length === 0
      ? "audio server→browser: not detected"
      : `audio server→browser ${fmt(median(audioMs))} (median of ${audioMs.length}/${CLICKS} clicks, min ${fmt(Math.min(...audioMs))})`;
  console.log(
    `local-edge: answer ${fmt(median(answerMs))} server / ${fmt(median(roundTripMs))} page POST (target ≤ 50), ` +
      `offer→listening ${fmt(median(listenMs))} (target ≤ 150), ${audio}, ` +
      `CPU ${cpuPercent.toFixed(1)}% of a core per call with audio both ways; ` +
      `median of ${JOINS} joins, node-datachannel, Chromium, loopback`,
  );
} finally {
  clearTimeout(deadline);
  await browser.close();
  await h.close();
}
