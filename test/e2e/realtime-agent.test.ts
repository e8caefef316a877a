// examples/realtime/agent.ts as a user runs it (`serve`), with gemini.Realtime pointed at the fake
// Live API, and headless Chromium speaking into the demo page: the page shows what the model heard
// and said, and plays the model's audio.
import type { Browser } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { FakeGeminiLive } from "../fakes/gemini-live-server.js";
import { type AgentProcess, startServe } from "./helpers/control-plane-process.js";
import {
  browserSkipReason,
  inboundAudioEnergy,
  launchChromium,
  speechWav,
} from "./helpers/local-edge-harness.js";

const skip = browserSkipReason();
if (skip !== undefined) console.log(`skip: realtime agent in Chromium: ${skip}`);

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(skip !== undefined)(
  "the realtime example agent (gemini.Realtime, fake Live API) in Chromium",
  () => {
    it("hears the browser's question and answers aloud; the page shows both sides", async () => {
      const fake = await FakeGeminiLive.start();
      cleanups.push(() => fake.close());
      fake.answers.push({ heard: "What time is it?", text: "It is a quarter past ten.", audioMs: 1500 });
      const server: AgentProcess & { url: string } = await startServe(
        [],
        { GOOGLE_API_KEY: fake.apiKey, GEMINI_BASE_URL: fake.baseUrl },
        "examples/realtime/agent.ts",
      );
      cleanups.push(async () => {
        server.kill();
        await server.exited;
      });
      const browser: Browser = await launchChromium(speechWav("What time is it?", "realtime-time", 4));
      cleanups.push(() => browser.close());
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}/?autostart=1&audio_processing=0`);
      // biome-ignore lint/performance/useDomNodeTextContent: what a person sees on the page, not hidden nodes' text
      const transcript = () => page.locator("#transcript").innerText();
      await expect.poll(transcript, { timeout: 20_000 }).toMatch(/What time is it\?/);
      await expect.poll(transcript, { timeout: 15_000 }).toMatch(/quarter past ten/);
      await expect.poll(() => inboundAudioEnergy(page), { timeout: 10_000 }).toBeGreaterThan(0);
      const sessionId = await page.evaluate(
        () => (window as unknown as { callwright: { sessionId: string } }).callwright.sessionId,
      );
      const metrics = async () =>
        (
          (await (await fetch(`${server.url}/sessions/${sessionId}/metrics`)).json()) as {
            metrics: Record<string, number | null>;
          }
        ).metrics;
      await expect
        .poll(async () => (await metrics()).realtime_audio_output_duration_ms__total ?? 0)
        .toBeGreaterThan(0);
      expect((await metrics()).realtime_audio_input_bytes__total).toBeGreaterThan(0);
    }, 90_000);
  },
);
