// `createGemini(settings)`: shared settings (key, server, headers) for several models of one
// account. Today it makes LLMs; the Live API's realtime class will hang off the same provider.
import { LLM } from "./llm/llm.js";
import type { GeminiModelId, LLMSettings } from "./llm/options.js";

/**
 * `const google = createGemini({ apiKey })`; `google("gemini-2.5-flash")` or
 * `google.llm("gemini-2.5-pro", { temperature: 0.3 })` make `gemini.LLM`s sharing the settings.
 */
export interface GeminiProvider {
  (model?: GeminiModelId, settings?: LLMSettings): LLM;
  llm(model?: GeminiModelId, settings?: LLMSettings): LLM;
}

export function createGemini(shared: LLMSettings = {}, env: NodeJS.ProcessEnv = process.env): GeminiProvider {
  const llm = (model?: GeminiModelId, settings: LLMSettings = {}) =>
    new LLM({ ...shared, ...settings, ...(model === undefined ? {} : { model }) }, env);
  return Object.assign(llm, { llm });
}
