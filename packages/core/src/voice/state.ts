import type { AgentState } from "@callwright/spec";

/**
 * The session's turn state. It is derived, not driven: the loop computes it from what is going
 * on (the agent's audio going out, a user's turn in progress, a reply being prepared) after every
 * step, and this holder reports each change once. There is no transition table to keep in step:
 * any state can follow any other when the facts change (a `say()` over a speaking user, a reply
 * that failed silently), and the facts are tested, not the moves.
 */
export class AgentStateHolder {
  #state: AgentState = "idle";
  readonly #onChange: (state: AgentState, previous: AgentState) => void;

  constructor(onChange: (state: AgentState, previous: AgentState) => void) {
    this.#onChange = onChange;
  }

  get state(): AgentState {
    return this.#state;
  }

  /** Moves to `next` (no-op when already there); returns whether the state changed. */
  set(next: AgentState): boolean {
    const previous = this.#state;
    if (next === previous) return false;
    this.#state = next;
    this.#onChange(next, previous);
    return true;
  }
}
