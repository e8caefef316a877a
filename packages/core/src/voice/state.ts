import type { AgentState } from "@callwright/spec";

/** Which state may follow which (design/voice-loop.md's diagram, plus `say`/`simpleResponse`). */
export const TURN_TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  idle: ["listening"],
  // user speech; a text-started reply (simpleResponse) thinks; say() speaks at once
  listening: ["user_speaking", "thinking", "agent_speaking", "idle"],
  // end of turn; an empty turn (noise) goes back; say() over the user
  user_speaking: ["thinking", "listening", "agent_speaking", "idle"],
  // first audio out; the user speaks again; the reply failed silently
  thinking: ["agent_speaking", "user_speaking", "listening", "idle"],
  // barge-in; played out; played out with the next reply queued
  agent_speaking: ["user_speaking", "listening", "thinking", "idle"],
};

/**
 * The session's turn state: one value, changed only through `set`, which checks the move
 * against `TURN_TRANSITIONS` and reports every change (and any move the table does not allow,
 * which is a bug in the loop, not a user error).
 */
export class TurnStateMachine {
  #state: AgentState = "idle";
  readonly #onChange: (state: AgentState, previous: AgentState) => void;
  readonly #onInvalid: (from: AgentState, to: AgentState) => void;

  constructor(
    onChange: (state: AgentState, previous: AgentState) => void,
    onInvalid: (from: AgentState, to: AgentState) => void,
  ) {
    this.#onChange = onChange;
    this.#onInvalid = onInvalid;
  }

  get state(): AgentState {
    return this.#state;
  }

  /** Moves to `next` (no-op when already there); returns whether the state changed. */
  set(next: AgentState): boolean {
    const previous = this.#state;
    if (next === previous) return false;
    if (!TURN_TRANSITIONS[previous].includes(next)) this.#onInvalid(previous, next);
    this.#state = next;
    this.#onChange(next, previous);
    return true;
  }
}
