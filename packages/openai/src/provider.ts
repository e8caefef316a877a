// `createOpenAI(settings)`: shared settings (key, server) for several models of one server.
import { LLM } from "./llm.js";
import type { LLMSettings, OpenAIModelId } from "./options.js";

/** Makes `openai.LLM`s that share settings: `const ollama = createOpenAI({ baseUrl }); ollama("llama3.2")`. */
export type OpenAIProvider = (model?: OpenAIModelId, settings?: LLMSettings) => LLM;

export function createOpenAI(shared: LLMSettings = {}): OpenAIProvider {
  return (model, settings = {}) =>
    new LLM({ ...shared, ...settings, ...(model === undefined ? {} : { model }) });
}
