// The health of a fallback's members: which may serve now, and the background probes that bring
// an unhealthy one back. A member is marked unhealthy when it fails (before or during its
// output); every `probeIntervalMs` (or later, when the provider asked for a longer wait) one
// probe per unhealthy member runs, bounded by `probeTimeoutMs`; a probe that passes, or a real
// call that succeeds, makes it healthy again. One timer at most, released by `close()`.
import { type Clock, systemClock, TypedEmitter } from "@callwright/provider-utils";
import { ProviderError } from "@callwright/spec";
import type { Logger } from "../log/index.js";

/** Events a fallback emits about its members. */
export type FallbackEvents = {
  /** A member served a call (the first output came from it). */
  served: [event: FallbackServedEvent];
  /** A member failed and is skipped until a probe (or a call) finds it working. */
  unhealthy: [event: FallbackMemberEvent & { error: Error; nextProbeInMs: number }];
  /** A member that was unhealthy works again (`downMs` after it failed). */
  healthy: [event: FallbackMemberEvent & { downMs: number; by: "probe" | "call" }];
};

export interface FallbackMemberEvent {
  kind: "llm" | "stt" | "tts";
  provider: string;
  modelId: string;
  index: number;
}

export interface FallbackServedEvent extends FallbackMemberEvent {
  /** Members tried before this one in the same call, and why each was passed over. */
  skipped: { provider: string; modelId: string; index: number; error: Error }[];
}

interface MemberState {
  healthy: boolean;
  /** Clock ms when it was marked unhealthy. */
  downSince: number;
  nextProbeAt: number;
  probing: AbortController | undefined;
  lastError: Error | undefined;
}

export interface HealthOptions {
  kind: "llm" | "stt" | "tts";
  members: readonly { provider: string; modelId: string }[];
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Resolves when the member works; rejects (or times out) when it does not. */
  probe: (index: number, signal: AbortSignal) => Promise<void>;
  logger: () => Logger;
  clock?: Clock;
}

/** The members' health and their probes. */
export class FallbackHealth extends TypedEmitter<FallbackEvents> {
  readonly #options: HealthOptions;
  readonly #clock: Clock;
  readonly #states: MemberState[];
  #timer: unknown;
  #closed = false;

  constructor(options: HealthOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#states = options.members.map(() => ({
      healthy: true,
      downSince: 0,
      nextProbeAt: 0,
      probing: undefined,
      lastError: undefined,
    }));
  }

  isHealthy(index: number): boolean {
    return this.#states[index]?.healthy ?? false;
  }

  /** Indexes in the order to try them: healthy ones in list order, then (all down) every one. */
  order(): number[] {
    const healthy = this.#states.flatMap((s, i) => (s.healthy ? [i] : []));
    return healthy.length > 0 ? healthy : this.#states.map((_, i) => i);
  }

  /** The best member that is healthy now (the list's first healthy one), if any. */
  best(): number | undefined {
    const i = this.#states.findIndex((s) => s.healthy);
    return i < 0 ? undefined : i;
  }

  markUnhealthy(index: number, error: Error): void {
    const state = this.#states[index];
    if (state === undefined || this.#closed) return;
    state.lastError = error;
    const asked = error instanceof ProviderError ? (error.retryAfterMs ?? 0) : 0;
    const waitMs = Math.max(this.#options.probeIntervalMs, asked);
    if (!state.healthy) {
      state.nextProbeAt = Math.max(state.nextProbeAt, this.#clock.now() + asked);
      this.#arm();
      return;
    }
    state.healthy = false;
    state.downSince = this.#clock.now();
    state.nextProbeAt = state.downSince + waitMs;
    const member = this.#member(index);
    this.#options.logger().warn(
      {
        kind: this.#options.kind,
        provider: member.provider,
        model: member.modelId,
        err: error,
        next_probe_ms: waitMs,
      },
      `${this.#options.kind} provider ${member.provider}/${member.modelId} failed; the fallback skips it until a probe finds it working`,
    );
    this.emit("unhealthy", { ...member, error, nextProbeInMs: waitMs });
    this.#arm();
  }

  markHealthy(index: number, by: "probe" | "call"): void {
    const state = this.#states[index];
    if (state === undefined || state.healthy) return;
    state.healthy = true;
    state.probing?.abort();
    state.probing = undefined;
    const downMs = this.#clock.now() - state.downSince;
    const member = this.#member(index);
    this.#options.logger().info(
      {
        kind: this.#options.kind,
        provider: member.provider,
        model: member.modelId,
        down_ms: Math.round(downMs),
        by,
      },
      `${this.#options.kind} provider ${member.provider}/${member.modelId} works again; the fallback uses it first again`,
    );
    this.emit("healthy", { ...member, downMs, by });
    this.#arm();
  }

  served(index: number, skipped: FallbackServedEvent["skipped"]): void {
    const member = this.#member(index);
    this.#options.logger().debug(
      {
        kind: this.#options.kind,
        provider: member.provider,
        model: member.modelId,
        fallback_index: index,
        skipped: skipped.map((s) => `${s.provider}/${s.modelId}`),
      },
      `${this.#options.kind} served by ${member.provider}/${member.modelId}`,
    );
    this.emit("served", { ...member, skipped });
  }

  /** Stops the probes (an in-flight one is aborted); the states stay as they are. */
  close(): void {
    this.#closed = true;
    this.#clear();
    for (const state of this.#states) {
      state.probing?.abort();
      state.probing = undefined;
    }
  }

  /** True while a probe timer is armed or a probe runs (tests check this is false after close). */
  get active(): boolean {
    return this.#timer !== undefined || this.#states.some((s) => s.probing !== undefined);
  }

  #member(index: number): FallbackMemberEvent {
    const m = this.#options.members[index]!;
    return { kind: this.#options.kind, provider: m.provider, modelId: m.modelId, index };
  }

  /** One timer, for the earliest probe due among unhealthy members not being probed. */
  #arm(): void {
    this.#clear();
    if (this.#closed) return;
    let due = Number.POSITIVE_INFINITY;
    for (const state of this.#states) {
      if (!state.healthy && state.probing === undefined) due = Math.min(due, state.nextProbeAt);
    }
    if (due === Number.POSITIVE_INFINITY) return;
    const handle = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#probeDue();
    }, due - this.#clock.now());
    // A probe must never keep the process alive on its own.
    (handle as { unref?: () => void } | null)?.unref?.();
    this.#timer = handle;
  }

  #clear(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #probeDue(): void {
    const now = this.#clock.now();
    this.#states.forEach((state, index) => {
      if (!state.healthy && state.probing === undefined && state.nextProbeAt <= now) void this.#probe(index);
    });
    this.#arm();
  }

  async #probe(index: number): Promise<void> {
    const state = this.#states[index]!;
    const controller = new AbortController();
    state.probing = controller;
    const timeout = this.#clock.setTimeout(
      () =>
        controller.abort(new Error(`no answer within ${this.#options.probeTimeoutMs} ms (probeTimeoutMs)`)),
      this.#options.probeTimeoutMs,
    );
    (timeout as { unref?: () => void } | null)?.unref?.();
    let ok = false;
    let failure: unknown;
    try {
      await this.#options.probe(index, controller.signal);
      ok = !controller.signal.aborted;
      if (!ok) failure = controller.signal.reason;
    } catch (error) {
      failure = controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      this.#clock.clearTimeout(timeout);
    }
    if (state.probing !== controller || this.#closed) return; // closed, or healthy by a call meanwhile
    state.probing = undefined;
    if (ok) {
      this.markHealthy(index, "probe");
      return;
    }
    const error = failure instanceof Error ? failure : new Error(String(failure));
    state.lastError = error;
    const asked = error instanceof ProviderError ? (error.retryAfterMs ?? 0) : 0;
    state.nextProbeAt = this.#clock.now() + Math.max(this.#options.probeIntervalMs, asked);
    const member = this.#member(index);
    this.#options
      .logger()
      .debug(
        { kind: this.#options.kind, provider: member.provider, model: member.modelId, err: error },
        "fallback probe failed; trying again later",
      );
    this.#arm();
  }
}
