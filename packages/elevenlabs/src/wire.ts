// ElevenLabs' text-to-speech wire formats, as its API reference describes them: the WebSocket
// query, the messages we send (`stream-input` and `multi-stream-input`), the ones it answers
// with, and the HTTP streaming request.
import { webSocketUrl } from "@callwright/provider-utils";
import type { TTSOptions, VoiceSettings } from "./options.js";

/** Character timings of one audio message; times in ms from that message's first sample. */
export interface WireAlignment {
  chars?: string[];
  charStartTimesMs?: number[];
  /** The documented spelling. */
  charDurationsMs?: number[];
  /** The spelling the service has been seen to send; both are read. */
  charsDurationsMs?: number[];
}

export interface ServerMessage {
  /** Base64 PCM (s16le mono at the output rate); null on the final message. */
  audio?: string | null;
  alignment?: WireAlignment | null;
  normalizedAlignment?: WireAlignment | null;
  isFinal?: boolean | null;
  /** Multi-context: whose audio this is (camelCase in the reference, snake_case seen too). */
  contextId?: string;
  context_id?: string;
  /** An error the service reports before closing: `{ message, error, code }`. */
  message?: string;
  error?: string;
  code?: number;
}

/** `voice_settings` as the wire spells it; undefined when nothing is set. */
export function wireVoiceSettings(settings: VoiceSettings | undefined): Record<string, unknown> | undefined {
  if (settings === undefined) return undefined;
  const wire: Record<string, unknown> = {};
  if (settings.stability !== undefined) wire.stability = settings.stability;
  if (settings.similarityBoost !== undefined) wire.similarity_boost = settings.similarityBoost;
  if (settings.style !== undefined) wire.style = settings.style;
  if (settings.useSpeakerBoost !== undefined) wire.use_speaker_boost = settings.useSpeakerBoost;
  if (settings.speed !== undefined) wire.speed = settings.speed;
  return Object.keys(wire).length === 0 ? undefined : wire;
}

/** The first message of a stream or context: a single space, with the settings it keeps. */
export function initMessage(options: TTSOptions, contextId?: string): Record<string, unknown> {
  const message: Record<string, unknown> = { text: " " };
  const voiceSettings = wireVoiceSettings(options.voiceSettings);
  if (voiceSettings !== undefined) message.voice_settings = voiceSettings;
  if (options.chunkLengthSchedule !== undefined) {
    message.generation_config = { chunk_length_schedule: [...options.chunkLengthSchedule] };
  }
  if (contextId !== undefined) message.context_id = contextId;
  return message;
}

/** `/v1/text-to-speech/{voice}/stream-input` or `/multi-stream-input`, with the query. */
export function streamUrl(options: TTSOptions, endpoint: "stream-input" | "multi-stream-input"): string {
  return webSocketUrl(
    options.baseUrl,
    `/v1/text-to-speech/${encodeURIComponent(options.voiceId)}/${endpoint}`,
    {
      model_id: options.model,
      output_format: `pcm_${options.outputSampleRateHz}`,
      inactivity_timeout: String(options.inactivityTimeoutS),
      // Alignment with every audio chunk, so each chunk's character times describe its own audio.
      sync_alignment: "true",
      language_code: options.languageCode,
      enable_logging: options.enableLogging ? undefined : "false",
    },
  );
}

/** The HTTP streaming endpoint's URL and JSON body for `text`. */
export function httpRequest(options: TTSOptions, text: string): { url: string; body: string } {
  const url = new URL(`${options.baseUrl}/v1/text-to-speech/${encodeURIComponent(options.voiceId)}/stream`);
  url.searchParams.set("output_format", `pcm_${options.outputSampleRateHz}`);
  if (!options.enableLogging) url.searchParams.set("enable_logging", "false");
  const body: Record<string, unknown> = { text, model_id: options.model };
  const voiceSettings = wireVoiceSettings(options.voiceSettings);
  if (voiceSettings !== undefined) body.voice_settings = voiceSettings;
  if (options.languageCode !== undefined) body.language_code = options.languageCode;
  return { url: url.toString(), body: JSON.stringify(body) };
}

/** The message as ElevenLabs' JSON, or why it is not. */
export function parseServerMessage(text: string): ServerMessage | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: `not JSON: ${text.slice(0, 120)}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { invalid: `not a JSON object: ${text.slice(0, 120)}` };
  }
  const m = value as ServerMessage;
  if (m.audio !== undefined && m.audio !== null && typeof m.audio !== "string") {
    return { invalid: "`audio` is not a base64 string" };
  }
  return m;
}

/** 16-bit samples from base64 s16le (a trailing odd byte is dropped: PCM chunks hold whole samples). */
export function decodePcm(base64: string): Int16Array {
  const bytes = Buffer.from(base64, "base64");
  const samples = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
  return samples;
}
