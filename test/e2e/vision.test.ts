// Video end to end: headless Chromium's fake camera (a Y4M clip written from a picture) joins the
// local edge. Frames reach a subscriber at the size asked with the colour shown; the default
// example agent, offline, answers spoken questions about what its camera shows.
import type { VideoFrame } from "callwright";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, test } from "vitest";
import { cardFrame, portraitFrame } from "../../packages/local/test-fixtures/pictures.js";
import { startServe } from "./helpers/control-plane-process.js";
import { launchChromiumWithCamera, y4mClip } from "./helpers/fake-camera.js";
import {
  browserSkipReason,
  joinAsAgent,
  questionsWav,
  speechWav,
  startHarness,
} from "./helpers/local-edge-harness.js";

const skip = browserSkipReason({ pocketsphinx_continuous: "pocketsphinx pocketsphinx-en-us" });
if (skip !== undefined) console.log(`skip: vision e2e: ${skip}`);

describe.skipIf(skip !== undefined)("video from the browser's camera", () => {
  const browsers: Browser[] = [];
  afterAll(async () => {
    for (const b of browsers) await b.close();
  });

  test("frames reach a subscriber at the asked size and rate, with the card's colour; off means off", async () => {
    const harness = await startHarness();
    try {
      const connection = await joinAsAgent(harness.edge, "cam-1");
      const browser = await launchChromiumWithCamera(
        speechWav("hello", "vision-hello", 2),
        y4mClip(cardFrame([210, 30, 40]), "red-card"),
      );
      browsers.push(browser);
      const page = await browser.newPage();
      const states: string[] = [];
      connection.on("video_state", (_id, state) => states.push(state.active ? state.source : "off"));
      await page.goto(`${harness.baseUrl}/?call_id=cam-1&autostart=1&camera=1`);
      await expect.poll(() => states.at(-1), { timeout: 30_000 }).toBe("camera");
      const participantId = [...connection.participants.keys()][0]!;
      const frames: VideoFrame[] = [];
      const subscription = connection.subscribeVideo!(participantId, { fps: 2, widthPx: 320 }, (f) =>
        frames.push(f),
      );
      await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      subscription.close();
      const frame = frames[0]!;
      expect([frame.widthPx, frame.heightPx]).toEqual([320, 240]);
      const mid = (120 * 320 + 160) * 3;
      const rgb = [...frame.data.subarray(mid, mid + 3)];
      expect(Math.abs(rgb[0]! - 210)).toBeLessThan(30);
      expect(Math.abs(rgb[1]! - 30)).toBeLessThan(30);
      expect(Math.abs(rgb[2]! - 40)).toBeLessThan(30);
      // The camera button turns it off: the agent hears so.
      await page.locator("#camera").click();
      await expect.poll(() => states.at(-1), { timeout: 5000 }).toBe("off");
      await page.close();
    } finally {
      await harness.close();
    }
  }, 60_000);

  test("the default agent, offline, says how many people it sees and the colour of the top", async () => {
    const server = await startServe();
    try {
      const browser = await launchChromiumWithCamera(
        questionsWav(["How many people do you see?", "What color is my shirt?"]),
        y4mClip(await portraitFrame(), "portrait"),
      );
      browsers.push(browser);
      const page = await browser.newPage();
      await page.goto(`${server.url}/?autostart=1&audio_processing=0&camera=1`);
      // biome-ignore lint/performance/useDomNodeTextContent: what a person sees on the page
      const transcript = () => page.locator("#transcript").innerText();
      await expect.poll(transcript, { timeout: 40_000 }).toMatch(/I see one person\./);
      await expect.poll(transcript, { timeout: 30_000 }).toMatch(/Your top looks (dark )?blue to me\./);
      const sessionId = await page.evaluate(
        () => (window as unknown as { callwright: { sessionId: string } }).callwright.sessionId,
      );
      const metrics = (await (await fetch(`${server.url}/sessions/${sessionId}/metrics`)).json()) as {
        metrics: Record<string, number | null>;
      };
      expect(metrics.metrics.video_frames_processed__total).toBeGreaterThanOrEqual(1);
      expect(metrics.metrics.vlm_inferences__total).toBeGreaterThanOrEqual(1);
      expect(metrics.metrics.vlm_inference_latency_ms__avg).toBeGreaterThan(0);
    } finally {
      server.kill();
      await server.exited;
    }
  }, 150_000);
});
