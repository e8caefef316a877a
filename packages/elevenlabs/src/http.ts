// Per-sentence synthesis over ElevenLabs' HTTP streaming endpoint (`POST /v1/text-to-speech/
// {voice}/stream`): raw PCM in a chunked body, frames out as they arrive. Retried (bounded) when it
// fails before its first byte; stopped at once when the signal aborts.
import { causeText, connectionError, decideRetry, gaveUp, sleep } from "@callwright/provider-utils";
import { type AudioFrame, audioFrame, ProviderError } from "@callwright/spec";
import { httpError, PROVIDER, WHERE } from "./errors.js";
import type { TTSOptions } from "./options.js";
import { httpRequest } from "./wire.js";

export async function* synthesizeOverHttp(
  text: string,
  options: TTSOptions,
  apiKey: string,
  signal: AbortSignal,
): AsyncGenerator<AudioFrame> {
  signal.throwIfAborted();
  const { url, body } = httpRequest(options, text);
  const retry = {
    maxRetries: options.maxRetries,
    baseDelayMs: options.retryBaseDelayMs,
    maxDelayMs: 10_000,
    // Each attempt is bounded by its own timeouts; the budget only bounds the waits between them.
    totalBudgetMs: (options.connectTimeoutMs + 10_000) * (options.maxRetries + 1),
    jitterRatio: 0.25,
  };
  const startedAt = performance.now();
  for (let attempt = 0; ; attempt += 1) {
    const result = yield* attemptOnce(url, body, options, apiKey, signal);
    if (result === undefined) return;
    const decision = decideRetry(result, attempt, performance.now() - startedAt, retry);
    if (!decision.retry) throw gaveUp(result, attempt + 1, decision.reason);
    await sleep(decision.delayMs, signal);
  }
}

/** One request; returns the error when it failed before any audio (worth a retry), else undefined. */
async function* attemptOnce(
  url: string,
  body: string,
  options: TTSOptions,
  apiKey: string,
  signal: AbortSignal,
): AsyncGenerator<AudioFrame, ProviderError | undefined> {
  const timeout = new AbortController();
  let timedOut: string | undefined;
  const arm = (ms: number, what: string, option: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = `${WHERE} sent ${what} within ${ms} ms (option ${option})`;
      timeout.abort();
    }, ms);
  };
  let timer: NodeJS.Timeout | undefined;
  arm(options.connectTimeoutMs, "no answer", "connectTimeoutMs");
  const timeoutError = () =>
    new ProviderError(`${timedOut}.`, {
      provider: PROVIDER,
      kind: "timeout",
      code: "elevenlabs_timeout",
      retryable: true,
    });
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "xi-api-key": apiKey, "content-type": "application/json", accept: "audio/pcm" },
      body,
      signal: AbortSignal.any([signal, timeout.signal]),
    });
  } catch (error) {
    clearTimeout(timer);
    signal.throwIfAborted();
    if (timedOut !== undefined) return timeoutError();
    return connectionError(error, { provider: PROVIDER, where: WHERE, code: "elevenlabs_connection" });
  }
  if (!response.ok) {
    clearTimeout(timer);
    const text = await response.text().catch(() => "");
    return httpError(response, text, options.voiceId);
  }
  if (response.body === null) {
    clearTimeout(timer);
    return new ProviderError(`${WHERE} answered with no body.`, {
      provider: PROVIDER,
      kind: "protocol",
      code: "elevenlabs_protocol",
    });
  }
  const reader = response.body.getReader();
  let carry: number | undefined; // an odd byte left from the previous chunk
  let yielded = false;
  let done = false;
  try {
    for (;;) {
      arm(options.responseTimeoutMs, "no audio", "responseTimeoutMs");
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        signal.throwIfAborted();
        const broke =
          timedOut !== undefined
            ? timeoutError()
            : new ProviderError(`${WHERE} broke off the audio (${causeText(error)}).`, {
                provider: PROVIDER,
                kind: "connection",
                code: "elevenlabs_connection",
                retryable: true,
              });
        if (!yielded) return broke;
        throw broke;
      }
      if (read.done) {
        done = true;
        return undefined;
      }
      const chunk = read.value;
      const total = chunk.length + (carry === undefined ? 0 : 1);
      const samples = new Int16Array(total >> 1);
      let byte = 0;
      const byteAt = (i: number) => (carry === undefined ? chunk[i]! : i === 0 ? carry : chunk[i - 1]!);
      for (let i = 0; i < samples.length; i++, byte += 2) {
        const lo = byteAt(byte);
        const hi = byteAt(byte + 1);
        samples[i] = (((hi << 8) | lo) << 16) >> 16;
      }
      carry = total % 2 === 1 ? byteAt(total - 1) : undefined;
      if (samples.length === 0) continue;
      yielded = true;
      yield audioFrame(samples, options.outputSampleRateHz);
    }
  } finally {
    clearTimeout(timer);
    if (!done) {
      timeout.abort();
      reader.cancel().catch(() => {
        // The body already failed: nothing left to release.
      });
    }
  }
}
