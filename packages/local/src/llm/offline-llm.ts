// The offline responder: a deterministic stand-in for a language model, so the voice loop works
// with no model at all. It greets, tells the time through a real tool call, does arithmetic,
// and otherwise says what it heard and how to plug in a real model. It never claims to be more.
import type { ChatMessage, LlmModel, LlmPart, LlmRequest, LlmStreamOptions, ToolSpec } from "callwright";
import { CURRENT_TIME_TOOL_NAME, type CurrentTime } from "./clock-tool.js";
import { type Intent, interpret } from "./intents.js";

export interface OfflineLLMOptions {
  /** The clock tool it calls for time and date questions (must be among the request's tools). */
  timeToolName: string;
}

export const defaultOfflineLLMOptions = {
  timeToolName: CURRENT_TIME_TOOL_NAME,
} as const satisfies OfflineLLMOptions;

// Spoken aloud and shown on the page, so no variable names a voice would spell out letter by
// letter: the README and docs/llms.md name OPENAI_BASE_URL and OPENAI_API_KEY.
const REAL_MODEL_HINT =
  "To talk to a real model, set the OpenAI base URL to Ollama, llama.cpp's server or any OpenAI-compatible server, or set an OpenAI API key, and restart.";
const CAN_DO = "I can greet you, tell the time and date, and do simple arithmetic.";
/** Said after the first reply that did not understand, once per conversation. */
const HINT_ONCE = 'To talk about anything else, plug in a real model: say "help" to hear how.';

/**
 * `new local.OfflineLLM()`: replies word by word, then `usage` (estimated: about four
 * characters per token) and `finish`. Time and date questions go through the clock tool
 * (`local.currentTimeTool`) when the request offers it.
 */
export class OfflineLLM implements LlmModel {
  readonly specificationVersion = "v1";
  readonly provider = "local";
  readonly modelId = "offline-responder";
  readonly #options: OfflineLLMOptions;
  #callCount = 0;

  constructor(options: Partial<OfflineLLMOptions> = {}) {
    this.#options = { ...defaultOfflineLLMOptions, ...options };
  }

  async *stream(request: LlmRequest, options: LlmStreamOptions): AsyncGenerator<LlmPart> {
    const { signal } = options;
    signal.throwIfAborted();
    const inputTokens = estimateTokens(inputText(request));
    const turn = latestTurn(request.messages, this.#options.timeToolName);
    const intent = interpret(turn.user);
    const timeTool = request.tools?.find((t) => t.name === this.#options.timeToolName);

    if (intent.kind === "clock" && timeTool !== undefined && turn.toolResult === undefined) {
      this.#callCount += 1;
      const args = intent.place === undefined ? {} : { timezone: intent.place.timeZone };
      const call = {
        id: `call_offline_${this.#callCount}`,
        name: timeTool.name,
        arguments: JSON.stringify(args),
      };
      yield { type: "tool_call", ...call };
      yield {
        type: "usage",
        inputTokens,
        outputTokens: estimateTokens(call.name + call.arguments),
        estimated: true,
      };
      yield { type: "finish", reason: "tool_calls" };
      return;
    }

    const reply = this.#reply(intent, turn, timeTool, request.messages);
    for (const word of reply.match(/\S+\s*/g) ?? []) {
      signal.throwIfAborted();
      yield { type: "text_delta", text: word };
      // Let an abort raised elsewhere (barge-in) land between words.
      await Promise.resolve();
    }
    signal.throwIfAborted();
    yield { type: "usage", inputTokens, outputTokens: estimateTokens(reply), estimated: true };
    yield { type: "finish", reason: "stop" };
  }

  #reply(
    intent: Intent,
    turn: Turn,
    timeTool: ToolSpec | undefined,
    messages: readonly ChatMessage[],
  ): string {
    const name = ownName(messages);
    switch (intent.kind) {
      case "empty":
        return "I didn't catch anything. Could you say that again?";
      case "help":
        return `I'm an offline responder, not a real language model. ${CAN_DO} ${REAL_MODEL_HINT}`;
      case "capabilities":
        return `${CAN_DO} For anything else you need a real model. ${REAL_MODEL_HINT}`;
      case "identity":
        return `I'm ${name === undefined ? "" : `${name}, `}callwright's offline responder, not a real language model. ${CAN_DO}`;
      case "arithmetic":
        return intent.answer.reply;
      case "clock":
        if (turn.toolResult !== undefined) return clockAnswer(intent, turn.toolResult);
        if (timeTool === undefined) {
          return `I can't tell the ${intent.want === "time" ? "time" : "date"} without my clock tool. Give the agent local.currentTimeTool in its tools.`;
        }
        return "I couldn't read my clock.";
      case "greeting": {
        const hello = name === undefined ? "Hello!" : `Hello, I'm ${name}!`;
        const mood = intent.howAreYou ? " I'm an offline responder, so I'm always the same, thank you." : "";
        return `${hello}${mood} How can I help? You can ask me the time, the date, or a sum like twelve times seven.`;
      }
      case "vision":
        return visionAnswer(intent.want, messages);
      case "thanks":
        return "You're welcome.";
      case "goodbye":
        return "Goodbye!";
      case "unknown": {
        // One short sentence; the way to a real model once per conversation, not every time.
        const heard = maskProfanity(turn.user.trim().replace(/[.?!\s]+$/, ""));
        const answer = `I heard "${heard}", but I only know the time, the date and simple sums.`;
        const hintGiven = messages.some(
          (m) =>
            m.role === "assistant" && (m.content.includes(HINT_ONCE) || m.content.includes(REAL_MODEL_HINT)),
        );
        return hintGiven ? answer : `${answer} ${HINT_ONCE}`;
      }
    }
  }
}

/**
 * Words a recognizer's mistakes turn into ("what is nine plus sex"), masked when the responder
 * says back what it heard: the first letter, then one star per letter ("sex" → "s**").
 */
const PROFANITY =
  /\b(sex|sexy|fuck\w*|shit\w*|bitch\w*|cunt\w*|dick|dicks|cock|cocks|pussy|asshole\w*|bastard\w*|slut\w*|whore\w*|porn\w*|piss\w*|wank\w*|twat\w*|nigg\w*|fag|fags|faggot\w*|rape\w*|crap|damn)\b/gi;

export function maskProfanity(text: string): string {
  return text.replace(PROFANITY, (word) => word.charAt(0) + "*".repeat(word.length - 1));
}

/** The note local.Vision adds before the user's words (docs/vision.md), if any. */
function visionNote(messages: readonly ChatMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i] as ChatMessage;
    if (m.role === "user" && i < messages.length - 1) break;
    if (m.role === "system" && m.content.includes("Local vision (")) return m.content;
  }
  return undefined;
}

/** Answers a question about the picture from local.Vision's note: only what it found. */
function visionAnswer(want: "people" | "colour" | "see", messages: readonly ChatMessage[]): string {
  const note = visionNote(messages);
  if (note === undefined) {
    return "I can't see anything: this agent has no vision. Give it local.Vision in its processors, and turn your camera on.";
  }
  if (/camera is off/.test(note))
    return "I can't see you: your camera is off. Press Camera on the page and ask me again.";
  if (/no picture has been looked at yet/.test(note)) {
    return "Your camera is on, but I haven't had a picture yet. Ask me again in a moment.";
  }
  const screen = /a shared screen shows/.test(note);
  const people = /shows (no people|1 person|(\d+) people)/.exec(note);
  const count =
    people === null ? 0 : people[1] === "no people" ? 0 : people[1] === "1 person" ? 1 : Number(people[2]);
  const peopleText =
    count === 0 ? "I don't see anyone" : count === 1 ? "I see one person" : `I see ${count} people`;
  const wears = /nearest the camera wears ([a-z ]+)\./.exec(note)?.[1];
  const middle = /middle of the picture is mostly ([a-z ]+)\./.exec(note)?.[1];
  const objects = /Objects: ([^.]+)\./.exec(note)?.[1];
  switch (want) {
    case "people":
      return `${peopleText}${screen ? " on your shared screen" : ""}.`;
    case "colour":
      if (wears !== undefined) return `Your top looks ${wears} to me.`;
      if (middle !== undefined) {
        return `I can't see anyone's clothes, but the middle of the picture is mostly ${middle}.`;
      }
      return "I can't tell the colour from this picture.";
    case "see": {
      const parts = [`${peopleText}.`];
      if (wears !== undefined) parts.push(`The person nearest the camera wears ${wears}.`);
      if (objects !== undefined) parts.push(`I can also make out: ${objects}.`);
      if (middle !== undefined) parts.push(`The middle of the picture is mostly ${middle}.`);
      parts.push(
        "I only count people, spot common objects and name colours; I can't read text or tell who you are.",
      );
      return parts.join(" ");
    }
  }
}

interface Turn {
  /** The latest user message's text ("" when there is none). */
  user: string;
  /** The clock tool's result, when it was called after that message. */
  toolResult: { content: string; isError: boolean } | undefined;
}

/** The latest user message and the clock tool's result, if it came after it. */
function latestTurn(messages: readonly ChatMessage[], timeToolName: string): Turn {
  let toolResult: Turn["toolResult"];
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i] as ChatMessage;
    if (m.role === "tool" && m.name === timeToolName && toolResult === undefined) {
      toolResult = { content: m.content, isError: m.isError === true };
    }
    if (m.role === "user") return { user: m.content, toolResult };
  }
  return { user: "", toolResult };
}

function clockAnswer(
  intent: Extract<Intent, { kind: "clock" }>,
  result: { content: string; isError: boolean },
): string {
  if (result.isError) return `My clock tool failed: ${result.content}`;
  const clock = parseClock(result.content);
  if (clock === undefined) return `My clock says: ${result.content}`;
  const body =
    intent.want === "time"
      ? `it's ${clock.time}`
      : intent.want === "day"
        ? `it's ${clock.weekday}`
        : `today is ${clock.date}`;
  if (intent.place !== undefined) return `In ${intent.place.name}, ${body}.`;
  if (intent.unknownPlace !== undefined) {
    return `I don't know the time zone of ${intent.unknownPlace}, so here is mine: ${body}.`;
  }
  return `${body.charAt(0).toUpperCase()}${body.slice(1)}.`;
}

/** The clock tool's JSON result (the core passes tool results as JSON text), possibly wrapped once. */
function parseClock(content: string): Pick<CurrentTime, "time" | "date" | "weekday"> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return undefined; // not JSON: the caller reads the text back as it is
  }
  const candidates = isRecord(value) ? [value, ...Object.values(value).filter(isRecord)] : [];
  for (const c of candidates) {
    if (typeof c.time === "string" && typeof c.date === "string" && typeof c.weekday === "string") {
      return { time: c.time, date: c.date, weekday: c.weekday };
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A name the system prompt gives the agent ("Your name is Ava", "You're Ava, ..."). */
function ownName(messages: readonly ChatMessage[]): string | undefined {
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const match =
    /\b(?:[Yy]our name is|[Yy]ou are called|[Yy]ou're called|[Yy]ou are|[Yy]ou're)\s+([A-Z][A-Za-z-]{1,30})\b/.exec(
      system,
    );
  const name = match?.[1];
  return name === undefined || ["A", "An", "The"].includes(name) ? undefined : name;
}

function inputText(request: LlmRequest): string {
  const messages = request.messages.map((m) => m.content).join("\n");
  return request.tools === undefined ? messages : messages + JSON.stringify(request.tools);
}

/** About four characters per token, OpenAI's rule of thumb for English. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
