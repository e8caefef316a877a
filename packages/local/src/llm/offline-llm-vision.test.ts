import type { ChatMessage, LlmPart } from "callwright";
import { describe, expect, it } from "vitest";
import { OfflineLLM } from "./offline-llm.js";

async function answer(question: string, note?: string): Promise<string> {
  const messages: ChatMessage[] = [{ role: "system", content: "You are Ava." }];
  if (note !== undefined) messages.push({ role: "system", content: `What the agent sees now: ${note}` });
  messages.push({ role: "user", content: question, participantId: "ada" });
  let text = "";
  for await (const part of new OfflineLLM().stream({ messages }, { signal: new AbortController().signal })) {
    if ((part as LlmPart).type === "text_delta") text += (part as { text: string }).text;
  }
  return text;
}

const label = "Local vision (a face and object detector, not a language model):";
const portrait = `${label} the camera shows 1 person (1 face). The person nearest the camera wears dark blue. Objects: cup. The middle of the picture is mostly dark blue.`;

describe("the offline responder answers what local.Vision saw, and only that", () => {
  it("counts people and names the colour of a top", async () => {
    expect(await answer("how many people do you see", portrait)).toBe("I see one person.");
    expect(await answer("what color is my shirt", portrait)).toBe("Your top looks dark blue to me.");
    const group = `${label} the camera shows 3 people (2 faces). The middle of the picture is mostly grey.`;
    expect(await answer("how many people are there", group)).toBe("I see 3 people.");
  });

  it("describes the picture and says what it cannot do", async () => {
    const said = await answer("what do you see", portrait);
    expect(said).toContain("I see one person.");
    expect(said).toContain("I can also make out: cup.");
    expect(said).toContain("can't read text or tell who you are");
  });

  it("says plainly when it cannot see", async () => {
    expect(
      await answer(
        "what colour is my shirt",
        `${label} the speaker's camera is off, so nothing can be seen.`,
      ),
    ).toMatch(/your camera is off/);
    expect(await answer("how many people do you see")).toMatch(/this agent has no vision/);
    const card = `${label} the camera shows no people (0 faces). The middle of the picture is mostly red.`;
    expect(await answer("what colour is my shirt", card)).toBe(
      "I can't see anyone's clothes, but the middle of the picture is mostly red.",
    );
  });
});
