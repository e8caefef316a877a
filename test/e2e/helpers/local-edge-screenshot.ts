// Takes docs/demo-page.png: the demo page in headless Chromium mid-conversation with the real
// default agent (`npm run serve`: local edge, Silero, pocketsphinx, offline responder, flite); the
// browser's microphone speaks eight questions made with flite, 5 s apart.
//   NODE_OPTIONS=--conditions=source npx tsx test/e2e/helpers/local-edge-screenshot.ts [out.png]
import { startServe } from "./control-plane-process.js";
import { launchChromium, questionsWav } from "./local-edge-harness.js";

const out = process.argv[2] ?? "docs/demo-page.png";
const server = await startServe();
const browser = await launchChromium(
  questionsWav(
    [
      "Hello there.",
      "What time is it?",
      "What is three plus four?",
      "What day is it?",
      "What is twelve times seven?",
      "What is the date today?",
      "What is forty eight divided by eight?",
      "Thank you.",
    ],
    { pauseS: 5 },
  ),
);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}/?autostart=1&audio_processing=0`);
  // A long conversation: eight answers, so the transcript has scrolled inside its card.
  await page.waitForFunction(
    () => document.querySelectorAll("#transcript > li.msg.agent:not(.interim)").length >= 8,
    null,
    { timeout: 100_000 },
  );
  await page.waitForTimeout(400);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.kill();
}
