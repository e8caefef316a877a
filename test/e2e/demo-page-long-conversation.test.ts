// The demo page through a long conversation, as a new user has it: the default agent (`npm run
// serve`) as a real process and headless Chromium whose microphone speaks twelve flite questions
// with pauses. After twelve answers the newest message and the "Last turn" panel must be on
// screen (at 1280×800 and at phone size), the page itself must not have grown past the window,
// and Stop → Start → a question must put the new answer under the new question.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AgentProcess, startServe } from "./helpers/control-plane-process.js";
import { browserSkipReason, launchChromium, questionsWav } from "./helpers/local-edge-harness.js";

const skip = browserSkipReason({ pocketsphinx_continuous: "pocketsphinx pocketsphinx-en-us" });
if (skip !== undefined) console.log(`skip: demo page long conversation e2e: ${skip}`);

// Questions with short answers, so each answer ends before the next question starts.
const QUESTIONS = [
  "What is two plus two?",
  "What time is it?",
  "What is twelve times seven?",
  "What day is it?",
  "What is three plus four?",
  "What is the date?",
  "Thank you.",
  "What is nine minus two?",
  "What time is it in Tokyo?",
  "What is six times five?",
  "What is eight minus three?",
  "What is ten plus ten?",
];

/** Where the page's pieces are, as the person looking at it sees them. */
interface Layout {
  viewport: { width: number; height: number };
  /** How far the document itself scrolls (0: the page fits the window). */
  pageOverflow: number;
  lastMessage: { top: number; bottom: number } | undefined;
  transcriptBox: { top: number; bottom: number };
  latency: { top: number; bottom: number };
  start: { top: number; bottom: number };
  agentBubbles: number;
}

function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const box = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom };
    };
    const messages = document.querySelectorAll("#transcript > li.msg");
    const last = messages[messages.length - 1];
    const root = document.scrollingElement as Element;
    return {
      viewport: { width: innerWidth, height: innerHeight },
      pageOverflow: root.scrollHeight - root.clientHeight,
      lastMessage: last === undefined ? undefined : box(last),
      transcriptBox: box(document.querySelector("#transcript") as Element),
      latency: box(document.querySelector(".latency") as Element),
      start: box(document.querySelector("#start") as Element),
      agentBubbles: document.querySelectorAll("#transcript > li.msg.agent:not(.interim)").length,
    };
  });
}

/** The newest message and the controls are where the eye can see them. */
function expectInView(l: Layout) {
  expect(l.pageOverflow, "the page grew past the window").toBeLessThanOrEqual(1);
  const last = l.lastMessage;
  expect(last).toBeDefined();
  if (last === undefined) return;
  // Inside the transcript's visible box (it scrolls), which is itself inside the window.
  expect(last.bottom).toBeLessThanOrEqual(l.transcriptBox.bottom + 1);
  expect(last.top).toBeGreaterThanOrEqual(l.transcriptBox.top - 1);
  expect(l.transcriptBox.bottom).toBeLessThanOrEqual(l.viewport.height + 1);
  for (const [name, el] of [
    ["latency panel", l.latency],
    ["start button", l.start],
  ] as const) {
    expect(el.top, name).toBeGreaterThanOrEqual(0);
    expect(el.bottom, name).toBeLessThanOrEqual(l.viewport.height + 1);
  }
}

describe.skipIf(skip !== undefined)("the demo page through a long conversation", () => {
  let server: AgentProcess & { url: string };
  let browser: Browser;

  beforeAll(async () => {
    server = await startServe();
    browser = await launchChromium(questionsWav(QUESTIONS, { pauseS: 5 }));
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    await server?.exited;
  });

  test("twelve turns stay on screen; Stop → Start puts the next answer under the next question", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.url}/?autostart=1&audio_processing=0`);

    // Twelve answers (the microphone's file loops, so a misheard question is followed by more).
    await expect
      .poll(async () => (await layout(page)).agentBubbles, { timeout: 125_000, interval: 1000 })
      .toBeGreaterThanOrEqual(12);
    // The latency panel has a figure, and the page followed the conversation down.
    await expect
      .poll(() => page.locator("#lat-total").textContent(), { timeout: 10_000 })
      .toMatch(/^\d+ ms$/);
    expectInView(await layout(page));

    // At phone size the same holds.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expectInView(await layout(page));
    await page.setViewportSize({ width: 1280, height: 800 });

    // Stop: nothing stays "being said"; then Start a new session.
    await page.locator("#start").click();
    await expect
      .poll(() =>
        page.evaluate(
          () => (window as unknown as { callwright: { connection: string } }).callwright.connection,
        ),
      )
      .toBe("idle");
    expect(await page.locator("#transcript > li.msg.interim").count()).toBe(0);
    const before = await page.locator("#transcript > li").allTextContents();

    await page.locator("#start").click();
    await expect
      .poll(
        () =>
          page.evaluate(
            () => (window as unknown as { callwright: { connection: string } }).callwright.connection,
          ),
        {
          timeout: 15_000,
        },
      )
      .toBe("connected");
    // The new session's first answer: below a divider, under the new session's first question.
    const after = () =>
      page.evaluate(() => {
        const items = Array.from(document.querySelectorAll("#transcript > li"));
        const divider = items.findLastIndex((li) => li.classList.contains("divider"));
        return {
          divider,
          next: items.slice(divider + 1).map((li) => ({
            kind: li.classList.contains("agent") ? "agent" : li.classList.contains("user") ? "user" : "other",
            final: !li.classList.contains("interim"),
            top: li.getBoundingClientRect().top,
          })),
        };
      });
    await expect
      .poll(async () => (await after()).next.some((m) => m.kind === "agent" && m.final), {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(true);
    const { divider, next } = await after();
    expect(divider).toBe(before.length);
    const question = next.findIndex((m) => m.kind === "user");
    const answer = next.findIndex((m) => m.kind === "agent");
    expect(question).toBeGreaterThanOrEqual(0);
    expect(answer).toBeGreaterThan(question);
    expect(next[answer]!.top).toBeGreaterThan(next[question]!.top);
    // The old conversation was left as it was: no new text went into its bubbles.
    expect((await page.locator("#transcript > li").allTextContents()).slice(0, before.length)).toEqual(
      before,
    );
    expectInView(await layout(page));
  }, 200_000);
});
