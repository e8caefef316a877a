// `createDeepgram(settings)`: shared settings (key, service) for several Deepgram models.
import type { DeepgramModelId, STTSettings } from "./options.js";
import { STT } from "./stt.js";

/** Makes `deepgram.STT`s that share settings: `const dg = createDeepgram({ baseUrl }); dg("nova-3")`. */
export type DeepgramProvider = (model?: DeepgramModelId, settings?: STTSettings) => STT;

export function createDeepgram(shared: STTSettings = {}): DeepgramProvider {
  return (model, settings = {}) =>
    new STT({ ...shared, ...settings, ...(model === undefined ? {} : { model }) });
}
