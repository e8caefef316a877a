// `createElevenLabs(settings)`: shared settings (key, service, model) for several voices.
import type { TTSSettings } from "./options.js";
import { TTS } from "./tts.js";

/** Makes `elevenlabs.TTS`s that share settings: `const el = createElevenLabs({ model }); el("voice-id")`. */
export type ElevenLabsProvider = (voiceId?: string, settings?: TTSSettings) => TTS;

export function createElevenLabs(shared: TTSSettings = {}): ElevenLabsProvider {
  return (voiceId, settings = {}) =>
    new TTS({ ...shared, ...settings, ...(voiceId === undefined ? {} : { voiceId }) });
}
