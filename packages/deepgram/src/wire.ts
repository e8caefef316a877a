// Deepgram's live transcription protocol (`/v1/listen`) as the docs describe it: the query that
// configures a stream, the control messages we send, and the messages it answers with.
import { webSocketUrl } from "@callwright/provider-utils";
import { isNova3, type STTOptions } from "./options.js";

/** One recognized word; times in seconds of the stream's audio. */
export interface WireWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
  punctuated_word?: string;
}

/** An interim (`is_final` false) or final transcript of the audio from `start` for `duration` seconds. */
export interface WireResults {
  type: "Results";
  channel_index?: number[];
  start: number;
  duration: number;
  is_final?: boolean;
  speech_final?: boolean;
  /** True on the result that answers a `Finalize`. */
  from_finalize?: boolean;
  channel: { alternatives: { transcript: string; confidence?: number; words?: WireWord[] }[] };
}

/** The stream's summary, sent after `CloseStream`, just before Deepgram closes. */
export interface WireMetadata {
  type: "Metadata";
  request_id?: string;
  duration?: number;
  channels?: number;
}

export type ServerMessage =
  | WireResults
  | WireMetadata
  | { type: "SpeechStarted"; channel?: number[]; timestamp: number }
  | { type: "UtteranceEnd"; channel?: number[]; last_word_end: number }
  /** Newer APIs report some failures in-band before closing. */
  | { type: "Error"; description?: string; message?: string; variant?: string; err_code?: string };

export const KEEP_ALIVE = JSON.stringify({ type: "KeepAlive" });
export const FINALIZE = JSON.stringify({ type: "Finalize" });
export const CLOSE_STREAM = JSON.stringify({ type: "CloseStream" });

/** The `wss://…/v1/listen?…` URL for these options (the stream's language when the options have none). */
export function listenUrl(options: STTOptions, streamLanguage: string | undefined): string {
  const url = new URL(webSocketUrl(options.baseUrl, "/v1/listen"));
  const q = url.searchParams;
  q.set("model", options.model);
  q.set("encoding", "linear16");
  q.set("sample_rate", String(options.inputSampleRateHz));
  q.set("channels", "1");
  q.set("interim_results", String(options.interimResults));
  q.set("punctuate", String(options.punctuate));
  q.set("smart_format", String(options.smartFormat));
  q.set("vad_events", String(options.vadEvents));
  q.set("endpointing", options.endpointingMs === false ? "false" : String(options.endpointingMs));
  if (options.utteranceEndMs !== false) q.set("utterance_end_ms", String(options.utteranceEndMs));
  const language = options.language ?? streamLanguage;
  if (language !== undefined && language.trim() !== "") q.set("language", language);
  const termParam = isNova3(options.model) ? "keyterm" : "keywords";
  for (const term of options.keyterms) q.append(termParam, term);
  for (const [k, v] of Object.entries(options.extraQuery)) q.set(k, v);
  return url.toString();
}

/** The message as Deepgram's JSON, or why it is not one we understand. */
export function parseServerMessage(text: string): ServerMessage | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: `not JSON: ${text.slice(0, 120)}` };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== "string") return { invalid: `no message type: ${text.slice(0, 120)}` };
  if (type === "Results") {
    const r = value as Partial<WireResults>;
    if (
      !Array.isArray(r.channel?.alternatives) ||
      typeof r.start !== "number" ||
      typeof r.duration !== "number"
    ) {
      return {
        invalid: `a Results message without channel.alternatives, start or duration: ${text.slice(0, 120)}`,
      };
    }
  }
  return value as ServerMessage;
}

/** The transcript and confidence of a Results message (its first alternative). */
export function bestAlternative(results: WireResults): { text: string; confidence: number | undefined } {
  const alt = results.channel.alternatives[0];
  return { text: alt?.transcript?.trim() ?? "", confidence: alt?.confidence };
}
