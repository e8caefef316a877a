import type { Clock } from "@callwright/provider-utils";
import { abortable } from "@callwright/provider-utils";
import type { LlmModel, LlmPart, LlmRequest } from "@callwright/spec";
import { isAbortError, ProviderError } from "../errors/index.js";
import { type ServedBy, servedByOf } from "../fallback/served-by.js";
import type { MetricsCollector } from "../metrics/collector.js";

/** What one LLM request measured (docs/voice-loop.md has the definitions). */
export interface LlmCallStats {
  /** Request sent → first text or tool-call delta, ms. */
  firstTokenMs: number | undefined;
  /** Request sent → stream complete, ms; undefined when cancelled or failed. */
  latencyMs: number | undefined;
  cancelled: boolean;
  failed: boolean;
  inputTokens: number;
  outputTokens: number;
  /** True when the provider reported no usage and the counts are chars / 4. */
  tokensEstimated: boolean;
  /** The model of a fallback list that answered (undefined for a model that is not a fallback). */
  servedBy: ServedBy | undefined;
}

/** Characters per token used when a provider reports no usage (a common rule of thumb). */
const CHARS_PER_TOKEN = 4;

function requestChars(request: LlmRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    chars += m.content.length;
    if (m.role === "assistant")
      for (const c of m.toolCalls ?? []) chars += c.name.length + c.arguments.length;
  }
  for (const t of request.tools ?? [])
    chars += t.name.length + t.description.length + JSON.stringify(t.parameters).length;
  return chars;
}

/**
 * Streams `request` from `llm`, measuring it into `meter.metrics`: time to first token, latency
 * (complete streams only), tokens (estimated as chars / 4 when the provider reports none),
 * cancellations. A throw becomes an `error` part; an abort ends the stream quietly (counted in
 * `llm_cancelled__total`). `stats` is filled in as the stream goes.
 */
export function meteredLlmStream(
  llm: LlmModel,
  request: LlmRequest,
  options: { signal: AbortSignal },
  meter: { metrics: MetricsCollector; clock: Clock },
): { parts: AsyncGenerator<LlmPart>; stats: LlmCallStats } {
  const stats: LlmCallStats = {
    firstTokenMs: undefined,
    latencyMs: undefined,
    cancelled: false,
    failed: false,
    inputTokens: 0,
    outputTokens: 0,
    tokensEstimated: false,
    servedBy: undefined,
  };
  const { metrics, clock } = meter;
  const { signal } = options;
  async function* run(): AsyncGenerator<LlmPart> {
    const startedAtMs = clock.now();
    let completed = false;
    let sawUsage = false;
    let outputChars = 0;
    // A fallback's stream says which of its models served; its samples are labelled with it.
    let provider: string | undefined;
    try {
      const source = llm.stream(request, { signal });
      for await (const part of abortable(source, signal)) {
        if (stats.servedBy === undefined) {
          stats.servedBy = servedByOf(source);
          provider = stats.servedBy?.provider;
          if ((stats.servedBy?.index ?? 0) > 0) metrics.add("llm_fallbacks__total", 1, provider);
        }
        if (
          stats.firstTokenMs === undefined &&
          ((part.type === "text_delta" && part.text.length > 0) ||
            part.type === "tool_call_delta" ||
            part.type === "tool_call")
        ) {
          stats.firstTokenMs = clock.now() - startedAtMs;
          metrics.observe("llm_time_to_first_token_ms__avg", stats.firstTokenMs, provider);
        }
        switch (part.type) {
          case "text_delta":
            outputChars += part.text.length;
            break;
          case "tool_call":
            outputChars += part.name.length + part.arguments.length;
            break;
          case "usage":
            sawUsage = true;
            stats.inputTokens += part.inputTokens;
            stats.outputTokens += part.outputTokens;
            stats.tokensEstimated ||= part.estimated === true;
            metrics.add("llm_input_tokens__total", part.inputTokens, provider);
            metrics.add("llm_output_tokens__total", part.outputTokens, provider);
            break;
          case "error":
            stats.failed = true;
            break;
        }
        yield part;
      }
      completed = !stats.failed;
    } catch (error) {
      if (!(signal.aborted || isAbortError(error))) {
        stats.failed = true;
        yield {
          type: "error",
          error:
            error instanceof ProviderError
              ? error
              : new ProviderError(
                  `the LLM (${llm.provider} ${llm.modelId}) failed: ${(error as Error)?.message ?? error}`,
                  {
                    provider: llm.provider,
                    cause: error,
                  },
                ),
        };
      }
    } finally {
      if (completed) {
        stats.latencyMs = clock.now() - startedAtMs;
        metrics.observe("llm_latency_ms__avg", stats.latencyMs, provider);
        if (!sawUsage) {
          stats.tokensEstimated = true;
          stats.inputTokens = Math.ceil(requestChars(request) / CHARS_PER_TOKEN);
          stats.outputTokens = Math.ceil(outputChars / CHARS_PER_TOKEN);
          metrics.add("llm_input_tokens__total", stats.inputTokens, provider);
          metrics.add("llm_output_tokens__total", stats.outputTokens, provider);
        }
      } else if (!stats.failed) {
        stats.cancelled = true;
        metrics.add("llm_cancelled__total", 1, provider);
      }
    }
  }
  return { parts: run(), stats };
}
