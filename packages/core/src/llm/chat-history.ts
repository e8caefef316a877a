import type { ChatMessage } from "@callwright/spec";

/**
 * The conversation of one session (the ChatContext): the system prompt and every message since.
 * The voice loop appends as things happen: the user's turn when it ends, the tool calls and
 * results as they run, the agent's reply as played (cut where the user interrupted).
 */
export class ChatHistory {
  #instructions: string;
  readonly #messages: ChatMessage[] = [];

  constructor(instructions: string) {
    this.#instructions = instructions;
  }

  get instructions(): string {
    return this.#instructions;
  }

  set instructions(value: string) {
    this.#instructions = value;
  }

  /** Messages after the system prompt, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  get length(): number {
    return this.#messages.length;
  }

  append(...messages: ChatMessage[]): void {
    this.#messages.push(...messages);
  }

  /** Replaces the message at `index` (e.g. a user message extended when the user spoke again). */
  replace(index: number, message: ChatMessage): void {
    if (index < 0 || index >= this.#messages.length) throw new RangeError(`no message at ${index}`);
    this.#messages[index] = message;
  }

  /** What an LLM request carries: the system prompt, then the messages. */
  forRequest(): ChatMessage[] {
    return [{ role: "system", content: this.#instructions }, ...this.#messages];
  }
}
