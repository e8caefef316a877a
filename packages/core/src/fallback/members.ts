// What the three fallbacks share: warming every member (one that fails is marked unhealthy; only
// a configuration error, or every member failing, fails the warm-up), closing them, their name.
import type { Logger, WarmupOptions } from "@callwright/spec";
import { ConfigError, ProviderError } from "../errors/index.js";
import { silentLogger } from "../log/index.js";
import type { FallbackHealth } from "./health.js";

export interface Model {
  readonly provider: string;
  readonly modelId: string;
  warmup?(options: WarmupOptions): Promise<void>;
  close?(): Promise<void>;
}

/** "gemini/gemini-2.5-flash,openai/gpt-4o-mini" */
export function listId(members: readonly Model[]): string {
  return members.map((m) => `${m.provider}/${m.modelId}`).join(",");
}

export async function warmMembers(
  kind: string,
  members: readonly Model[],
  health: FallbackHealth,
  options: WarmupOptions,
): Promise<void> {
  const results = await Promise.allSettled(members.map((m) => m.warmup?.(options)));
  options.signal?.throwIfAborted();
  const failed: string[] = [];
  results.forEach((result, index) => {
    if (result.status === "fulfilled") return;
    const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    // A misconfigured member (a missing key, a bad option) is the user's to fix, not to skip.
    if (error instanceof ConfigError) throw error;
    health.markUnhealthy(index, error);
    const m = members[index]!;
    failed.push(`${m.provider}/${m.modelId}: ${error.message}`);
  });
  if (failed.length === members.length) {
    throw new ProviderError(
      `every ${kind.toUpperCase()} in the fallback list failed to warm up (${failed.join("; ")})`,
      {
        provider: "fallback",
        code: "fallback_exhausted",
        retryable: true,
      },
    );
  }
}

export async function closeMembers(members: readonly Model[], logger: Logger): Promise<void> {
  const results = await Promise.allSettled(members.map((m) => m.close?.()));
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      const m = members[index]!;
      logger.warn({ err: result.reason, provider: m.provider }, "closing a fallback member failed");
    }
  });
}

/** The logger: the option, else the one warm-up was given, else none. */
export function loggerOf(option: Logger | undefined, fromWarmup: Logger | undefined): Logger {
  return option ?? fromWarmup ?? silentLogger;
}
