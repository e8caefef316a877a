// The agent's brain without audio: the same LLM loop the voice agent runs, driven by text.
import * as local from "@callwright/local";
import { createTestSession, FakeLLM } from "callwright/testing";
import { describe, expect, it } from "vitest";
import { instructions, tools } from "./assistant.js";

describe("the assistant", () => {
  it("tells the time through the clock tool", async () => {
    const session = await createTestSession({ llm: new local.OfflineLLM(), tools, instructions });
    const events = await session.run({ userInput: "What time is it?" });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "tool_call", name: local.CURRENT_TIME_TOOL_NAME, isError: false }),
    );
    expect(events.at(-1)).toMatchObject({ type: "assistant_message" });
  });

  it("sends the model its instructions and the user's words", async () => {
    const llm = new FakeLLM({ replies: ["Hello! How can I help?"] });
    const session = await createTestSession({ llm, tools, instructions });
    const events = await session.run({ userInput: "Hi there" });
    expect(events).toEqual([{ type: "assistant_message", text: "Hello! How can I help?" }]);
    expect(JSON.stringify(llm.lastRequest?.messages)).toContain("Hi there");
    expect(JSON.stringify(llm.lastRequest?.messages)).toContain(instructions);
  });
});
