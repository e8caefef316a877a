// The front door, end to end: the default example agent (`npm run serve`) as a real process, on
// the local stack (browser WebRTC edge, Silero VAD, pocketsphinx STT, offline responder, flite
// TTS), and headless Chromium whose microphone speaks a flite recording. The page starts its own
// session, the agent hears the spoken question, answers it aloud, and the browser plays the answer.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AgentProcess, startServe } from "./helpers/control-plane-process.js";
import { browserSkipReason, launchChromium, questionsWav } from "./helpers/local-edge-harness.js";

const skip = browserSkipReason({ pocketsphinx_continuous: "pocketsphinx pocketsphinx-en-us" });
if (skip !== undefined) console.log(`skip: spoken conversation e2e: ${skip}`);

interface PageState {
  connection: string;
  sessionId?: string;
}

describe.skipIf(skip !== undefined)("a spoken conversation with the default agent", () => {
  let server: AgentProcess & { url: string };
  let browser: Browser;

  beforeAll(async () => {
    server = await startServe();
    browser = await launchChromium(questionsWav(["What is twelve times seven?", "What time is it?"]));
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    await server?.exited;
  });

  test("the agent hears a spoken question and speaks the answer back to the browser", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // audio_processing=0: the microphone is a clean recording with no speaker to echo, and
    // Chrome's gain control and noise suppression reshape flite's synthetic voice differently
    // from run to run (2 of 9 runs misheard "twelve" with them on, 0 of 6 with them off). The
    // page keeps them on by default, for real microphones.
    await page.goto(`${server.url}/?autostart=1&audio_processing=0`);
    const state = () =>
      page.evaluate(() => (window as unknown as { callwright: PageState }).callwright) as Promise<PageState>;
    await expect.poll(async () => (await state()).connection, { timeout: 15_000 }).toBe("connected");
    const { sessionId } = await state();
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    // What the recognizer made of the browser's speech, and the offline responder's answer.
    // biome-ignore lint/performance/useDomNodeTextContent: what a person sees on the page, not hidden nodes' text
    const transcript = () => page.locator("#transcript").innerText();
    await expect.poll(transcript, { timeout: 20_000 }).toMatch(/twelve times seven/i);
    await expect.poll(transcript, { timeout: 10_000 }).toMatch(/12 times 7 is 84/);
    // The second question goes through the responder's clock tool: "It's 10:05 AM."
    await expect.poll(transcript, { timeout: 20_000 }).toMatch(/what time is it/i);
    await expect.poll(transcript, { timeout: 10_000 }).toMatch(/It's \d{1,2}:\d{2}/);

    // The answer was heard: the browser's inbound audio carries energy.
    const inboundEnergy = () =>
      page.evaluate(async () => {
        const pc = (window as unknown as { callwright: { pc: RTCPeerConnection } }).callwright.pc;
        let energy = 0;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; totalAudioEnergy?: number }) => {
          if (s.type === "inbound-rtp" && s.kind === "audio") energy += s.totalAudioEnergy ?? 0;
        });
        return energy;
      });
    await expect.poll(inboundEnergy, { timeout: 10_000 }).toBeGreaterThan(0);

    // The page shows the turn's latency breakdown, and the metrics route has real values.
    // biome-ignore lint/performance/useDomNodeTextContent: what a person sees on the page
    await expect.poll(() => page.locator("#lat-total").innerText(), { timeout: 5000 }).toMatch(/^\d+ ms$/);
    const metrics = (await (await fetch(`${server.url}/sessions/${sessionId}/metrics`)).json()) as {
      metrics: Record<string, number | null>;
    };
    for (const name of [
      "stt_latency_ms__avg",
      "llm_time_to_first_token_ms__avg",
      "llm_latency_ms__avg",
      "tts_latency_ms__avg",
      "turn_e2e_latency_ms__avg",
    ]) {
      expect(metrics.metrics[name], name).toBeGreaterThan(0);
    }
    expect(metrics.metrics.llm_output_tokens__total).toBeGreaterThan(0);
    // What the agent actually needs from the user's end of speech to its first audio: well
    // under a few seconds (the figure itself is measured by bench/local-stack, not here).
    expect(metrics.metrics.turn_e2e_latency_ms__avg).toBeLessThan(5000);

    if (process.env.CALLWRIGHT_SCREENSHOT) await page.screenshot({ path: process.env.CALLWRIGHT_SCREENSHOT });

    // Stop sends the beacon close: the session is gone.
    await page.locator("#start").click();
    await expect
      .poll(async () => (await fetch(`${server.url}/sessions/${sessionId}`)).status, { timeout: 10_000 })
      .toBe(404);
  }, 90_000);
});
