// callwright's chat history → Gemini's `contents` and `systemInstruction`, and the bookkeeping
// that maps tool calls both ways: Gemini's function calls may come without ids (we make one) and
// with a thought signature that must go back with the call; a call that Gemini did not make
// (the history of another provider, behind a fallback) goes back without an id.
import { randomUUID } from "node:crypto";
import type { ChatMessage, ToolCall } from "@callwright/spec";
import type { WireContent, WirePart } from "./types.js";

/** What Gemini said about a call it made, kept until the call comes back in the history. */
interface CallRecord {
  /** Gemini's own id, when it gave one (sent back on the call and its response). */
  serverId: string | undefined;
  thoughtSignature: string | undefined;
}

/** How many calls are remembered (a conversation's recent tool calls; older ones go back plain). */
const MAX_REMEMBERED_CALLS = 512;

/**
 * The tool calls a model made, by the id callwright gave them, so the history can carry Gemini's
 * own ids and thought signatures back. One per model instance; bounded, oldest forgotten first.
 */
export class CallBook {
  readonly #calls = new Map<string, CallRecord>();

  /** Registers a function call from a response and returns callwright's id for it. */
  record(call: { id?: string | undefined }, thoughtSignature: string | undefined): string {
    const serverId = typeof call.id === "string" && call.id !== "" ? call.id : undefined;
    const id = serverId ?? `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
    this.#calls.delete(id);
    this.#calls.set(id, { serverId, thoughtSignature });
    if (this.#calls.size > MAX_REMEMBERED_CALLS) {
      const oldest = this.#calls.keys().next().value;
      if (oldest !== undefined) this.#calls.delete(oldest);
    }
    return id;
  }

  get(id: string): CallRecord | undefined {
    return this.#calls.get(id);
  }
}

export interface ContentsOptions {
  calls: CallBook;
  /**
   * Signature for a call Gemini did not sign (one from another provider's history). Gemini 3
   * refuses an unsigned call in the current turn; its documentation names this placeholder.
   */
  placeholderSignature: string | undefined;
}

export interface MappedHistory {
  systemInstruction: { parts: { text: string }[] } | undefined;
  contents: WireContent[];
}

/**
 * Maps the history. System messages (wherever they are) become the system instruction, in order;
 * user messages are `user` contents (pictures first, as Google advises, then the words);
 * assistant messages are `model` contents (text, then its function calls); tool results are
 * `functionResponse` parts of a `user` content. Consecutive contents of one role are merged, and
 * empty text is left out (Gemini refuses an empty text part).
 */
export function toContents(messages: readonly ChatMessage[], options: ContentsOptions): MappedHistory {
  const system: string[] = [];
  const contents: WireContent[] = [];
  const add = (role: "user" | "model", parts: WirePart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of messages) {
    switch (message.role) {
      case "system":
        if (message.content.trim() !== "") system.push(message.content);
        break;
      case "user": {
        const parts: WirePart[] = (message.images ?? []).map((image) => ({
          inlineData: { mimeType: image.mediaType, data: Buffer.from(image.data).toString("base64") },
        }));
        if (message.content !== "") parts.push({ text: message.content });
        add("user", parts);
        break;
      }
      case "assistant": {
        const parts: WirePart[] = message.content === "" ? [] : [{ text: message.content }];
        (message.toolCalls ?? []).forEach((call, index) => {
          parts.push(functionCallPart(call, index, options));
        });
        add("model", parts);
        break;
      }
      case "tool": {
        const serverId = options.calls.get(message.toolCallId)?.serverId;
        add("user", [
          {
            functionResponse: {
              name: message.name,
              response: responseObject(message.content, message.isError === true),
              ...(serverId === undefined ? {} : { id: serverId }),
            },
          },
        ]);
        break;
      }
    }
  }
  return {
    systemInstruction: system.length === 0 ? undefined : { parts: [{ text: system.join("\n\n") }] },
    contents,
  };
}

function functionCallPart(call: ToolCall, index: number, options: ContentsOptions): WirePart {
  const record = options.calls.get(call.id);
  const signature =
    record?.thoughtSignature ??
    (record === undefined && index === 0 ? options.placeholderSignature : undefined);
  return {
    functionCall: {
      name: call.name,
      args: argsObject(call.arguments),
      ...(record?.serverId === undefined ? {} : { id: record.serverId }),
    },
    ...(signature === undefined ? {} : { thoughtSignature: signature }),
  };
}

/** A call's JSON arguments as the object Gemini wants (anything else is wrapped). */
function argsObject(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    return { value };
  } catch {
    return { value: text };
  }
}

/**
 * A tool's result as the object `functionResponse.response` must be: a JSON object as it is,
 * anything else under `result`; a failure under `error` (the keys Google's documentation uses).
 */
function responseObject(content: string, isError: boolean): Record<string, unknown> {
  let value: unknown = content;
  try {
    value = JSON.parse(content);
  } catch {
    // Plain text: sent as a string.
  }
  if (isError) return { error: value };
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  return { result: value };
}
