// One call through a fallback list: try the members in order (healthy ones first), move on when
// one fails or stays silent before its first output, and pass the rest of the output of the
// first one that answers through untouched. Shared by the LLM's streams and the TTS's syntheses.
import { abortable, type Clock, systemClock } from "@callwright/provider-utils";
import { ProviderError } from "@callwright/spec";
import type { FallbackHealth, FallbackServedEvent } from "./health.js";
import { SERVED_BY, type ServedBy } from "./served-by.js";

export interface Member {
  readonly provider: string;
  readonly modelId: string;
}

export interface ServeOptions<T> {
  kind: "llm" | "tts";
  members: readonly Member[];
  health: FallbackHealth;
  signal: AbortSignal;
  firstOutputTimeoutMs: number;
  clock: Clock | undefined;
  /** Starts the call on member `index`. */
  open(index: number, signal: AbortSignal): AsyncIterable<T>;
  /** The error an item reports (an LLM's `error` part), if it is one. */
  failureOf(item: T): Error | undefined;
  /** Whether a member that ends without any item has answered (an empty synthesis) or failed. */
  emptyIsAnswer: boolean;
  /** The item that ends the call when every member failed (an LLM's `error` part); else it throws. */
  exhaustedItem?: (error: ProviderError) => T;
}

/** The timeout error of a member silent past `firstOutputTimeoutMs`. */
export function firstOutputTimeout(member: Member, timeoutMs: number, what: string): ProviderError {
  return new ProviderError(
    `${member.provider}/${member.modelId} gave no ${what} within ${timeoutMs} ms (fallback option firstOutputTimeoutMs)`,
    { provider: member.provider, kind: "timeout", code: "fallback_first_output_timeout", retryable: true },
  );
}

/** The error when every member failed: each one's reason, the last as the cause. */
export function exhausted(kind: string, failures: FallbackServedEvent["skipped"]): ProviderError {
  const last = failures.at(-1)?.error;
  const reasons = failures.map((f) => `${f.provider}/${f.modelId}: ${f.error.message}`).join("; ");
  return new ProviderError(`every ${kind.toUpperCase()} in the fallback list failed (${reasons})`, {
    provider: "fallback",
    kind: last instanceof ProviderError ? last.kind : "server",
    code: "fallback_exhausted",
    retryable: true,
    ...(last === undefined ? {} : { cause: last }),
  });
}

/** A call's output, which says (once known) which member served it. Iterable once. */
export class FallbackCall<T> implements AsyncIterable<T> {
  #servedBy: ServedBy | undefined;
  readonly #generator: AsyncGenerator<T>;

  constructor(options: ServeOptions<T>) {
    this.#generator = this.#run(options);
  }

  get servedBy(): ServedBy | undefined {
    return this.#servedBy;
  }

  get [SERVED_BY](): ServedBy | undefined {
    return this.#servedBy;
  }

  [Symbol.asyncIterator](): AsyncGenerator<T> {
    return this.#generator;
  }

  async *#run(o: ServeOptions<T>): AsyncGenerator<T> {
    const failures: FallbackServedEvent["skipped"] = [];
    const clock = o.clock ?? systemClock;
    for (const index of o.health.order()) {
      o.signal.throwIfAborted();
      const member = o.members[index]!;
      const child = new AbortController();
      const follow = () => child.abort(o.signal.reason);
      o.signal.addEventListener("abort", follow, { once: true });
      let timedOut: ProviderError | undefined;
      const timer = clock.setTimeout(() => {
        timedOut = firstOutputTimeout(
          member,
          o.firstOutputTimeoutMs,
          o.kind === "llm" ? "first token" : "first audio",
        );
        child.abort(timedOut);
      }, o.firstOutputTimeoutMs);
      let committed = false;
      // A model that throws at once (closed, misused) has failed like one that throws later.
      const source = (async function* () {
        yield* o.open(index, child.signal);
      })();
      const iterator = abortable(source, child.signal)[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<T>;
          try {
            next = await iterator.next();
          } catch (error) {
            if (o.signal.aborted) throw error;
            const failure = timedOut ?? asError(error);
            if (committed) {
              o.health.markUnhealthy(index, failure);
              throw failure;
            }
            failures.push({ ...member, index, error: failure });
            o.health.markUnhealthy(index, failure);
            break;
          }
          if (next.done) {
            if (committed || o.emptyIsAnswer) return;
            const failure = new ProviderError(
              `${member.provider}/${member.modelId} ended without any output`,
              {
                provider: member.provider,
                kind: "protocol",
                code: "fallback_no_output",
              },
            );
            failures.push({ ...member, index, error: failure });
            o.health.markUnhealthy(index, failure);
            break;
          }
          const failure = o.failureOf(next.value);
          if (!committed) {
            if (failure !== undefined) {
              failures.push({ ...member, index, error: failure });
              o.health.markUnhealthy(index, failure);
              break;
            }
            committed = true;
            clock.clearTimeout(timer);
            this.#servedBy = { provider: member.provider, modelId: member.modelId, index };
            o.health.markHealthy(index, "call");
            o.health.served(index, failures);
          } else if (failure !== undefined) {
            o.health.markUnhealthy(index, failure);
          }
          yield next.value;
        }
      } finally {
        clock.clearTimeout(timer);
        o.signal.removeEventListener("abort", follow);
        // Release a member left mid-output (a failure, an abort, or a consumer that stopped).
        if (!child.signal.aborted) child.abort();
        void Promise.resolve(iterator.return?.(undefined)).catch(() => {});
      }
    }
    o.signal.throwIfAborted();
    const error = exhausted(o.kind, failures);
    if (o.exhaustedItem === undefined) throw error;
    yield o.exhaustedItem(error);
  }
}

function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new Error(String(error));
}
