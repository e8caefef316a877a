// Takes docs/demo-page.png: the demo page in headless Chromium mid-conversation with the real
// default agent (`npm run serve`: local edge, Silero, pocketsphinx, offline responder, flite); the
// browser's microphone speaks three questions made with flite.
//   NODE_OPTIONS=--conditions=source npx tsx test/e2e/helpers/local-edge-screenshot.ts [out.png]
import { startServe } from "./control-plane-process.js";
import { launchChromium, questionsWav } from "./local-edge-harness.js";

const out = process.argv[2] ?? "docs/demo-page.png";
const server = await startServe();
const browser = await launchChromium(
  questionsWav(["Hello there, how are you?", "What time is it?", "What is three plus four?"]),
);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}/?autostart=1&audio_processing=0`);
  // Wait for the third answer to start, so the page shows speech, transcript and latency.
  await page.waitForFunction(
    () => /plus four/i.test(document.querySelector("#transcript")?.textContent ?? ""),
    null,
    {
      timeout: 60_000,
    },
  );
  await page.waitForFunction(
    () => /\b7\b|seven/i.test(document.querySelector("#transcript li:last-child")?.textContent ?? ""),
    null,
    {
      timeout: 10_000,
    },
  );
  await page.waitForTimeout(400);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.kill();
}
