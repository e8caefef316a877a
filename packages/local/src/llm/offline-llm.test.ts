import {
  type ChatMessage,
  isAbortError,
  type LlmPart,
  type LlmRequest,
  silentLogger,
  toolSpec,
} from "callwright";
import { describe, expect, it } from "vitest";
import { createCurrentTimeTool, currentTimeTool } from "./clock-tool.js";
import { maskProfanity, OfflineLLM } from "./offline-llm.js";

const TUESDAY_15_04_UTC = new Date("2024-03-05T15:04:00Z");
const clock = createCurrentTimeTool({ now: () => TUESDAY_15_04_UTC, defaultTimeZone: "UTC" });

async function collect(llm: OfflineLLM, request: LlmRequest): Promise<LlmPart[]> {
  const parts: LlmPart[] = [];
  for await (const part of llm.stream(request, { signal: new AbortController().signal })) parts.push(part);
  return parts;
}

function textOf(parts: readonly LlmPart[]): string {
  return parts.map((p) => (p.type === "text_delta" ? p.text : "")).join("");
}

async function reply(text: string, extra: Partial<LlmRequest> = {}): Promise<string> {
  return textOf(await collect(new OfflineLLM(), { messages: [{ role: "user", content: text }], ...extra }));
}

/** Runs one user turn the way the core's loop does: model, tool, model again. */
async function turnWithClock(text: string): Promise<{ first: LlmPart[]; second: LlmPart[] }> {
  const llm = new OfflineLLM();
  const tools = [toolSpec(clock)];
  const messages: ChatMessage[] = [
    { role: "system", content: "You're a helpful voice assistant." },
    { role: "user", content: text },
  ];
  const first = await collect(llm, { messages, tools });
  const call = first.find((p) => p.type === "tool_call");
  if (call?.type !== "tool_call") throw new Error(`no tool call in ${JSON.stringify(first)}`);
  const result = await clock.execute(clock.parameters.parse(JSON.parse(call.arguments)), {
    signal: new AbortController().signal,
    logger: silentLogger,
    toolCallId: call.id,
  });
  messages.push(
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: call.id, name: call.name, arguments: call.arguments }],
    },
    { role: "tool", toolCallId: call.id, name: call.name, content: JSON.stringify(result) },
  );
  const second = await collect(llm, { messages, tools });
  return { first, second };
}

describe("OfflineLLM", () => {
  it("says what it is: provider local, the offline responder", () => {
    const llm = new OfflineLLM();
    expect(llm.specificationVersion).toBe("v1");
    expect(llm.provider).toBe("local");
    expect(llm.modelId).toBe("offline-responder");
  });

  it("streams word by word, then estimated usage, then finish", async () => {
    const parts = await collect(new OfflineLLM(), { messages: [{ role: "user", content: "hello there" }] });
    const deltas = parts.filter((p) => p.type === "text_delta");
    expect(deltas.length).toBeGreaterThan(5);
    for (const d of deltas) expect(d.text.trim().split(/\s+/)).toHaveLength(1);
    const tail = parts.slice(-2);
    expect(tail[0]).toMatchObject({ type: "usage", estimated: true });
    expect(tail[0]?.type === "usage" && tail[0].inputTokens > 0 && tail[0].outputTokens > 0).toBe(true);
    expect(tail[1]).toEqual({ type: "finish", reason: "stop" });
  });

  it("greets", async () => {
    expect(await reply("Hello!")).toMatch(/^Hello!/);
    expect(await reply("good morning")).toMatch(/^Hello!/);
    expect(await reply("hey how are you")).toMatch(/offline responder/);
  });

  it("introduces itself honestly, with the name the system prompt gives it", async () => {
    expect(await reply("who are you")).toBe(
      "I'm callwright's offline responder, not a real language model. I can greet you, tell the time and date, and do simple arithmetic.",
    );
    const named = await collect(new OfflineLLM(), {
      messages: [
        { role: "system", content: "Your name is Ava. Be brief." },
        { role: "user", content: "what are you" },
      ],
    });
    expect(textOf(named)).toMatch(/^I'm Ava, callwright's offline responder, not a real language model/);
  });

  it("tells the time through the clock tool: tool call first, the spoken time after its result", async () => {
    const { first, second } = await turnWithClock("What time is it?");
    expect(first).toEqual([
      { type: "tool_call", id: expect.stringMatching(/^call_/), name: "get_current_time", arguments: "{}" },
      { type: "usage", inputTokens: expect.any(Number), outputTokens: expect.any(Number), estimated: true },
      { type: "finish", reason: "tool_calls" },
    ]);
    expect(textOf(second)).toBe("It's 3:04 PM.");
    expect(second.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("tells the date and the day through the clock tool", async () => {
    expect(textOf((await turnWithClock("what's the date today")).second)).toBe(
      "Today is Tuesday, March 5, 2024.",
    );
    expect(textOf((await turnWithClock("what day is it")).second)).toBe("It's Tuesday.");
  });

  it("asks the clock for a city's zone when the question names one", async () => {
    const { first, second } = await turnWithClock("what time is it in tokyo");
    expect(first[0]).toMatchObject({ type: "tool_call", arguments: '{"timezone":"Asia/Tokyo"}' });
    expect(textOf(second)).toBe("In Tokyo, it's 12:04 AM.");
  });

  it("says plainly it can't tell the time when its clock tool isn't offered", async () => {
    const parts = await collect(new OfflineLLM(), {
      messages: [{ role: "user", content: "what time is it" }],
    });
    expect(parts.some((p) => p.type === "tool_call")).toBe(false);
    expect(textOf(parts)).toMatch(/^I can't tell the time without my clock tool/);
  });

  it("reads the clock's result however the loop wrapped it", async () => {
    const answer = async (content: string) =>
      textOf(
        await collect(new OfflineLLM(), {
          tools: [toolSpec(currentTimeTool)],
          messages: [
            { role: "user", content: "what time is it" },
            {
              role: "assistant",
              content: "",
              toolCalls: [{ id: "c1", name: "get_current_time", arguments: "{}" }],
            },
            { role: "tool", toolCallId: "c1", name: "get_current_time", content },
          ],
        }),
      );
    const clockResult = { time: "9:15 AM", date: "Friday, May 3, 2024", weekday: "Friday" };
    expect(await answer(JSON.stringify({ result: clockResult }))).toBe("It's 9:15 AM.");
    expect(await answer("nine fifteen")).toBe("My clock says: nine fifteen");
  });

  it("reads back a clock tool failure", async () => {
    const parts = await collect(new OfflineLLM(), {
      tools: [toolSpec(currentTimeTool)],
      messages: [
        { role: "user", content: "what time is it" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "c1", name: "get_current_time", arguments: "{}" }],
        },
        { role: "tool", toolCallId: "c1", name: "get_current_time", content: "clock broken", isError: true },
      ],
    });
    expect(textOf(parts)).toBe("My clock tool failed: clock broken");
  });

  it("does arithmetic said in digits or in words, as a recognizer writes it", async () => {
    expect(await reply("what is 12 times 7")).toBe("12 times 7 is 84.");
    expect(await reply("what's three plus four")).toBe("3 plus 4 is 7.");
    expect(await reply("15 divided by 4")).toBe("15 divided by 4 is 3.75.");
    expect(await reply("what is negative three minus two point five")).toBe(
      "Minus 3 minus 2.5 is minus 5.5.",
    );
    expect(await reply("what is ten divided by zero")).toMatch(/can't divide by zero/);
  });

  it("answers what it does not understand in one short sentence, with the real-model hint once", async () => {
    const text = await reply("Tell me a story about dragons.");
    expect(text).toBe(
      'I heard "Tell me a story about dragons", but I only know the time, the date and simple sums. To talk about anything else, plug in a real model: say "help" to hear how.',
    );
    const later = await collect(new OfflineLLM(), {
      messages: [
        { role: "user", content: "tell me a story" },
        { role: "assistant", content: text },
        { role: "user", content: "sing a song" },
      ],
    });
    expect(textOf(later)).toBe('I heard "sing a song", but I only know the time, the date and simple sums.');
  });

  it("masks profanity when it says back what it heard", async () => {
    expect(await reply("what is sex and shit")).toMatch(/^I heard "what is s\*\* and s\*\*\*", but/);
    expect(maskProfanity("Fucking Sussex sextant")).toBe("F****** Sussex sextant");
  });

  it("tells the user how to plug in a real model when asked", async () => {
    for (const question of ["how do I use a real model", "help"]) {
      const text = await reply(question);
      expect(text).toMatch(/OpenAI base URL/);
      expect(text).toMatch(/OpenAI API key/);
      expect(text).not.toMatch(/_/); // spoken aloud: no variable names
    }
  });

  it("answers the latest user message, not earlier ones", async () => {
    const parts = await collect(new OfflineLLM(), {
      messages: [
        { role: "user", content: "what is 2 plus 2" },
        { role: "assistant", content: "2 plus 2 is 4." },
        { role: "user", content: "and 3 times 3" },
      ],
    });
    expect(textOf(parts)).toBe("3 times 3 is 9.");
  });

  it("speaks plainly: no markdown, no emoji", async () => {
    for (const q of ["hello", "who are you", "help", "what can you do", "blah", "thanks", "bye"]) {
      expect(await reply(q)).not.toMatch(/[*#`]|\p{Extended_Pictographic}|\n/u);
    }
  });

  it("stops promptly when aborted mid-reply", async () => {
    const controller = new AbortController();
    const llm = new OfflineLLM();
    const seen: LlmPart[] = [];
    const consume = async () => {
      for await (const part of llm.stream(
        { messages: [{ role: "user", content: "help" }] },
        { signal: controller.signal },
      )) {
        seen.push(part);
        if (seen.length === 2) controller.abort();
      }
    };
    const error = await consume().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen.every((p) => p.type === "text_delta")).toBe(true);
  });

  it("does not start when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const iterator = new OfflineLLM()
      .stream({ messages: [{ role: "user", content: "hello" }] }, { signal: controller.signal })
      [Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toSatisfy(isAbortError);
  });
});
