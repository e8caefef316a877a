// A fake of the OpenAI audio API on 127.0.0.1, as OpenAI documents it and as the local servers
// that copy it answer: `POST /v1/audio/transcriptions` takes multipart/form-data (`file`,
// `model`, `language`, `prompt`, `response_format`, `stream`) and answers `{"text": ...}`, or
// with `stream=true` (on models that stream) server-sent events `transcript.text.delta` then
// `transcript.text.done`; it refuses a file that is not audio, or shorter than 0.1 s, as OpenAI
// does. `POST /v1/audio/speech` takes JSON (`model`, `input`, `voice`, `response_format`,
// `speed`, `instructions`) and streams raw 24 kHz 16-bit mono PCM (`pcm`) or a WAV whose sizes
// are unknown while it streams (`wav`), in chunks as they are "synthesised": a tone of
// `msPerChar` per character, so tests can tell from the audio how much text was spoken. The
// kit's faults apply (bad key, 429, slow first byte, drop after N chunks, malformed event).
import type { IncomingHttpHeaders } from "node:http";
import { sleep } from "@callwright/provider-utils";
import { type FakeFaults, type FakeHttpResponse, FakeServer } from "@callwright/provider-utils/testing";

export type TranscriptionReply =
  /** The transcript (streamed as word deltas when the request asks and the model streams). */
  | string
  | { text: string; delayMs?: number }
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "hang" }
  | { kind: "drop" }
  /** Deltas, then the connection dies before `transcript.text.done`. */
  | { kind: "drop_mid_stream"; deltas: string[] };

export type SpeechReply =
  | { kind: "speech"; delayMs?: number }
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "hang" }
  /** Audio for half the text, then the connection dies. */
  | { kind: "drop_mid_audio" };

export interface RecordedAudioRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Multipart fields (transcriptions) or the JSON body (speech), as strings. */
  fields: Record<string, string>;
  /** The uploaded WAV's format and length (transcriptions). */
  audio?: { sampleRateHz: number; channels: number; bitsPerSample: number; durationMs: number };
  receivedAtMs: number;
  finished: Promise<void>;
  readonly clientAborted: boolean;
}

export interface FakeAudioOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Speech audio per character, ms. Default 40. */
  msPerChar?: number;
  /** Speech chunk length, ms. Default 100. */
  chunkMs?: number;
  /** Wait between speech chunks, ms. Default 1. */
  chunkDelayMs?: number;
  /** Transcription models that stream (others ignore `stream=true`, as whisper-1 does). */
  streamingModels?: string[];
}

export interface FakeAudioServer {
  /** e.g. http://127.0.0.1:40123/v1 */
  readonly baseUrl: string;
  readonly requests: RecordedAudioRequest[];
  readonly faults: FakeFaults;
  /** Queues answers for the next transcription requests (default: the empty transcript). */
  transcribe(...replies: TranscriptionReply[]): void;
  /** Queues answers for the next speech requests (default: speech). */
  speak(...replies: SpeechReply[]): void;
  /** Resolves when `count` requests to `path` have arrived. */
  waitFor(
    path: "/v1/audio/transcriptions" | "/v1/audio/speech",
    count: number,
  ): Promise<RecordedAudioRequest[]>;
  close(): Promise<void>;
}

/** OpenAI's error body. */
export function audioError(
  message: string,
  type = "invalid_request_error",
  param: string | null = null,
  code: string | null = null,
) {
  return { error: { message, type, param, code } };
}

const SPEECH_RATE = 24_000;

/** Reads a WAV's format (PCM chunks only), or undefined when the bytes are not a WAV. */
function wavInfo(bytes: Buffer): RecordedAudioRequest["audio"] {
  if (
    bytes.length < 12 ||
    bytes.toString("ascii", 0, 4) !== "RIFF" ||
    bytes.toString("ascii", 8, 12) !== "WAVE"
  ) {
    return undefined;
  }
  let at = 12;
  let format: { sampleRateHz: number; channels: number; bitsPerSample: number } | undefined;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString("ascii", at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === "fmt ") {
      format = {
        channels: bytes.readUInt16LE(at + 10),
        sampleRateHz: bytes.readUInt32LE(at + 12),
        bitsPerSample: bytes.readUInt16LE(at + 22),
      };
    } else if (id === "data" && format !== undefined) {
      const frames = Math.min(size, bytes.length - at - 8) / ((format.bitsPerSample / 8) * format.channels);
      return { ...format, durationMs: (frames * 1000) / format.sampleRateHz };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/** A tone, `samples` long, starting at sample `offset` (16-bit little-endian bytes). */
function tone(samples: number, offset: number): Buffer {
  const out = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    out.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 220 * (offset + i)) / SPEECH_RATE)), i * 2);
  return out;
}

export async function startFakeOpenAIAudio(options: FakeAudioOptions = {}): Promise<FakeAudioServer> {
  const msPerChar = options.msPerChar ?? 40;
  const chunkSamples = Math.round(((options.chunkMs ?? 100) * SPEECH_RATE) / 1000);
  const streaming = new Set(options.streamingModels ?? ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"]);
  const transcripts: TranscriptionReply[] = [];
  const speeches: SpeechReply[] = [];
  const requests: RecordedAudioRequest[] = [];
  const waiters: { path: string; count: number; resolve: (r: RecordedAudioRequest[]) => void }[] = [];
  const of = (path: string) => requests.filter((r) => r.path === path);

  const fake = await FakeServer.start({
    authFailure: {
      status: 401,
      body: audioError(
        "Incorrect API key provided: sk-...fake.",
        "invalid_request_error",
        null,
        "invalid_api_key",
      ),
    },
    rateLimited: {
      status: 429,
      body: audioError("Rate limit reached for requests", "requests", null, "rate_limit_exceeded"),
      headers: { "retry-after-ms": "20" },
    },
    malformed: "data: {not json\n\n",
    http: async (req, res) => {
      const recorded: RecordedAudioRequest = {
        method: req.method,
        path: req.url.pathname,
        headers: req.headers,
        fields: {},
        receivedAtMs: req.receivedAtMs,
        finished: req.finished,
        get clientAborted() {
          return req.clientAborted;
        },
      };
      requests.push(recorded);
      for (const waiter of [...waiters]) {
        if (of(waiter.path).length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(of(waiter.path));
        }
      }
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return res.json(
          401,
          req.headers.authorization === undefined
            ? audioError(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
              )
            : audioError(
                "Incorrect API key provided: sk-...fake.",
                "invalid_request_error",
                null,
                "invalid_api_key",
              ),
        );
      }
      if (req.method === "GET" && req.url.pathname === "/v1/models") {
        return res.json(200, { object: "list", data: [{ id: "gpt-4o-mini-transcribe", object: "model" }] });
      }
      if (req.method === "POST" && req.url.pathname === "/v1/audio/transcriptions") {
        const contentType = req.headers["content-type"] ?? "";
        if (!contentType.startsWith("multipart/form-data")) {
          return res.json(400, audioError("Invalid Content-Type header (expected multipart/form-data)"));
        }
        const form = await new Response(new Uint8Array(req.rawBody), {
          headers: { "content-type": contentType },
        }).formData();
        form.forEach((value, name) => {
          if (typeof value === "string") recorded.fields[name] = value;
        });
        const file = form.get("file");
        if (file === null || typeof file === "string") {
          return res.json(400, audioError("you must provide a file", "invalid_request_error", "file"));
        }
        if (recorded.fields.model === undefined) {
          return res.json(
            400,
            audioError("you must provide a model parameter", "invalid_request_error", "model"),
          );
        }
        const audio = wavInfo(Buffer.from(await file.arrayBuffer()));
        if (audio === undefined) {
          return res.json(
            400,
            audioError(
              "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
              "invalid_request_error",
              "file",
            ),
          );
        }
        recorded.audio = audio;
        if (audio.durationMs < 100) {
          return res.json(
            400,
            audioError(
              "Audio file is too short. Minimum audio length is 0.1 seconds.",
              "invalid_request_error",
              "file",
              "audio_too_short",
            ),
          );
        }
        return transcription(res, transcripts.shift() ?? "", recorded.fields);
      }
      if (req.method === "POST" && req.url.pathname === "/v1/audio/speech") {
        const body = req.json as Record<string, unknown> | undefined;
        if (body === undefined || typeof body !== "object") {
          return res.json(400, audioError("We could not parse the JSON body of your request."));
        }
        for (const [k, v] of Object.entries(body)) recorded.fields[k] = String(v);
        for (const required of ["model", "input", "voice"]) {
          if (typeof body[required] !== "string" || body[required] === "") {
            return res.json(
              400,
              audioError(`'${required}' is a required property`, "invalid_request_error", required),
            );
          }
        }
        const format = body.response_format ?? "mp3";
        if (format !== "pcm" && format !== "wav") {
          return res.json(400, audioError(`the fake serves pcm and wav only (asked ${String(format)})`));
        }
        return speech(res, speeches.shift() ?? { kind: "speech" }, String(body.input), format);
      }
      return res.json(404, audioError(`Invalid URL (${req.method} ${req.url.pathname})`));
    },
  });

  async function transcription(
    res: FakeHttpResponse,
    reply: TranscriptionReply,
    fields: Record<string, string>,
  ): Promise<void> {
    if (typeof reply === "object" && "kind" in reply) {
      if (reply.kind === "hang") return res.hang();
      if (reply.kind === "drop") return res.drop();
      if (reply.kind === "json") return res.json(reply.status, reply.body, reply.headers);
      const sse = await res.sse();
      for (const delta of reply.deltas) sse.event({ type: "transcript.text.delta", delta });
      await sleep(20);
      sse.drop();
      return;
    }
    const text = typeof reply === "string" ? reply : reply.text;
    if (typeof reply === "object" && reply.delayMs !== undefined) await sleep(reply.delayMs);
    if (fields.stream !== "true" || !streaming.has(fields.model ?? "")) {
      return res.json(200, { text, usage: { type: "duration", seconds: 1 } });
    }
    const sse = await res.sse();
    for (const delta of text.match(/\S+\s*|\s+/g) ?? []) sse.event({ type: "transcript.text.delta", delta });
    sse.event({
      type: "transcript.text.done",
      text,
      usage: { type: "tokens", input_tokens: 14, output_tokens: 45, total_tokens: 59 },
    });
    sse.end();
  }

  async function speech(
    res: FakeHttpResponse,
    reply: SpeechReply,
    input: string,
    format: string,
  ): Promise<void> {
    if (reply.kind === "hang") return res.hang();
    if (reply.kind === "json") return res.json(reply.status, reply.body, reply.headers);
    const total = Math.round((input.length * msPerChar * SPEECH_RATE) / 1000);
    const stop = reply.kind === "drop_mid_audio" ? Math.floor(total / 2) : total;
    const writer = await res.stream(200, {
      "content-type": format === "wav" ? "audio/wav" : "audio/pcm",
      "transfer-encoding": "chunked",
    });
    if (reply.kind === "speech" && reply.delayMs !== undefined) await sleep(reply.delayMs);
    if (format === "wav") {
      // A streamed WAV: sizes unknown (0xFFFFFFFF) until the end, as streaming servers send it.
      const header = Buffer.alloc(44);
      header.write("RIFF", 0, "ascii");
      header.writeUInt32LE(0xffffffff, 4);
      header.write("WAVEfmt ", 8, "ascii");
      header.writeUInt32LE(16, 16);
      header.writeUInt16LE(1, 20);
      header.writeUInt16LE(1, 22);
      header.writeUInt32LE(SPEECH_RATE, 24);
      header.writeUInt32LE(SPEECH_RATE * 2, 28);
      header.writeUInt16LE(2, 32);
      header.writeUInt16LE(16, 34);
      header.write("data", 36, "ascii");
      header.writeUInt32LE(0xffffffff, 40);
      // Split mid-header, as a network may.
      writer.write(header.subarray(0, 20));
      writer.write(header.subarray(20));
    }
    for (let at = 0; at < stop && writer.open; at += chunkSamples) {
      const bytes = tone(Math.min(chunkSamples, stop - at), at);
      // An odd split, as a network may: a sample's two bytes in two chunks.
      writer.write(bytes.subarray(0, bytes.length - 1));
      writer.write(bytes.subarray(bytes.length - 1));
      await sleep(options.chunkDelayMs ?? 1);
    }
    if (reply.kind === "drop_mid_audio") {
      await sleep(20);
      writer.drop();
      return;
    }
    writer.end();
  }

  return {
    baseUrl: `${fake.httpUrl}/v1`,
    requests,
    faults: fake.faults,
    transcribe: (...replies) => transcripts.push(...replies),
    speak: (...replies) => speeches.push(...replies),
    waitFor(path, count) {
      if (of(path).length >= count) return Promise.resolve(of(path));
      return new Promise((resolve) => waiters.push({ path, count, resolve }));
    },
    close: () => fake.close(),
  };
}
