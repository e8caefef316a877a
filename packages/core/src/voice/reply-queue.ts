import type { Reply, ReplyCancelReason } from "./reply.js";

/**
 * What the agent is going to say, in order: one reply plays at a time, each starting when it
 * reaches the head (so a turn's answer waits for a `say()` in progress, and vice versa).
 */
export class ReplyQueue {
  readonly #replies: Reply[] = [];

  get size(): number {
    return this.#replies.length;
  }

  /** The agent's audio is going out (the head reply has sent its first frame). */
  get playing(): boolean {
    return this.#replies[0]?.playing === true;
  }

  /** An LLM reply is waiting for its first audio: the agent is thinking. */
  get thinking(): boolean {
    return this.#replies.some((r) => r.kind === "llm" && r.firstAudioAtMs === undefined);
  }

  /** Some reply has already sent audio (the edge may hold some of it). */
  get sentAudio(): boolean {
    return this.#replies.some((r) => r.firstAudioAtMs !== undefined);
  }

  push(reply: Reply): void {
    this.#replies.push(reply);
    if (this.#replies[0] === reply) reply.start();
  }

  /** Takes a finished reply out; starts the next one. */
  remove(reply: Reply): void {
    const index = this.#replies.indexOf(reply);
    if (index >= 0) this.#replies.splice(index, 1);
    const next = this.#replies[0];
    if (next !== undefined && !next.started) next.start();
  }

  /** Cancels every reply; none of them starts another on its way out. */
  cancelAll(reason: ReplyCancelReason): void {
    for (const reply of this.#replies.splice(0)) reply.cancel(reason);
  }
}
