// A fake Deepgram live transcription service (`/v1/listen`) on 127.0.0.1 that speaks the protocol
// as Deepgram documents it (developers.deepgram.com: Live Audio API reference, Finalize,
// KeepAlive, Close Stream, Endpointing, UtteranceEnd, SpeechStarted, "STT Troubleshooting
// WebSocket, NET, and DATA Errors"):
//
// - handshake: `Authorization: Token <key>` (or the `token, <key>` subprotocol); a bad key is
//   refused with 401, a `dg-error` header and Deepgram's JSON body; bad query parameters
//   (unknown model, `keyterm` on an older model, `keywords` on nova-3, linear16 without
//   `sample_rate`) with 400;
// - audio: binary linear16 frames at the declared `sample_rate`, decoded and measured; what is
//   "said" is scripted per test (`say()`), but words only come out of audio with energy in it,
//   at the pace the audio gives (so silence, a wrong rate or a short push show in the results);
// - Results: interim (`is_final` false) every `interimEveryMs` of audio, finals on endpointing
//   (`speech_final` true) and in answer to `Finalize` (`from_finalize` true, and only when enough
//   audio is buffered: Deepgram's answer "is not guaranteed if there is no significant amount of
//   audio data to process"); `SpeechStarted` with `vad_events`; `UtteranceEnd` with
//   `utterance_end_ms`;
// - `KeepAlive` keeps the socket open; without audio or KeepAlive for `idleTimeoutMs` (10 s, as
//   Deepgram) it closes 1011 `NET-0001`; `CloseStream` → last results, `Metadata`, close 1000;
//   undecodable audio → close 1008 `DATA-0000`.
// Built on the provider fake kit, whose faults (drop after N messages, a malformed message, a
// slow handshake) apply too.
import { createHash, randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { type FakeFaults, FakeServer, type FakeSocket } from "@callwright/provider-utils/testing";

export interface FakeDeepgramOptions {
  /** The key handshakes must carry. Default "dg-test-key". */
  apiKey?: string;
  /** Close 1011 NET-0001 after this long without audio or KeepAlive, in ms. Default 10000 (Deepgram's). */
  idleTimeoutMs?: number;
  /** Audio between two interim results, in ms. Default 200. */
  interimEveryMs?: number;
  /** Voiced audio per word an interim reveals, in ms. Default 200. */
  msPerWord?: number;
  /** Unfinalized audio a `Finalize` needs before Deepgram answers it, in ms. Default 60. */
  finalizeMinAudioMs?: number;
  /** Voiced audio a segment needs to have its scripted words, in ms. Default 60. */
  minVoicedMs?: number;
  /** RMS level (0..1 of full scale) above which a 10 ms frame counts as voiced. Default 0.02. */
  voicedRms?: number;
}

/** One `/v1/listen` stream the fake served. */
export interface ListenSession {
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly sampleRateHz: number;
  /** Audio bytes received, in order. */
  readonly audioBytes: number;
  /** Audio received, in ms at the declared rate. */
  readonly audioMs: number;
  /** The `type`s of the JSON messages received (KeepAlive, Finalize, CloseStream), in order. */
  readonly controls: readonly string[];
  /** Every message the fake sent, parsed, in order. */
  readonly sent: readonly Record<string, unknown>[];
  /** The raw socket, for drops and custom messages. */
  readonly socket: FakeSocket;
  /** performance.now() of each message the fake sent, in order (for the bench). */
  readonly sentAtMs: readonly number[];
}

export interface FakeDeepgramServer {
  /** e.g. http://127.0.0.1:40123 (what DEEPGRAM_BASE_URL takes). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly faults: FakeFaults;
  readonly sessions: readonly ListenSession[];
  /** What speakers say next, one entry per speech segment, in order (shared across sockets). */
  say(...utterances: string[]): void;
  /** The next audio message is answered with close 1008 DATA-0000 (undecodable audio). */
  rejectNextAudio(): void;
  /** Resolves when `count` sessions have been opened. */
  waitForSessions(count: number, timeoutMs?: number): Promise<ListenSession>;
  close(): Promise<void>;
}

const MODELS = new Set([
  "nova-3",
  "nova-3-general",
  "nova-3-medical",
  "nova-2",
  "nova-2-general",
  "nova-2-meeting",
  "nova-2-phonecall",
  "nova-2-conversationalai",
  "nova",
  "enhanced",
  "base",
]);

const CONTAINER_MAGIC = ["RIFF", "OggS", "fLaC", "ID3"];

function badRequest(message: string) {
  return {
    status: 400,
    body: { err_code: "Bad Request", err_msg: message, request_id: randomUUID() },
    headers: { "dg-error": message, "dg-request-id": randomUUID() },
  };
}

/** Why Deepgram would refuse this query with 400, or undefined. */
function queryProblem(q: URLSearchParams): string | undefined {
  const model = q.get("model") ?? "base";
  if (!MODELS.has(model)) {
    return `No such model/language/tier combination found. Use the /v1/models endpoint to find which models are available. (model=${model})`;
  }
  const nova3 = model.startsWith("nova-3");
  if (q.has("keyterm") && !nova3) return "Keyterm Prompting is only available for Nova-3 models.";
  if (q.has("keywords") && nova3)
    return "Keywords are not supported for Nova-3 models. Use Keyterm Prompting (keyterm) instead.";
  const encoding = q.get("encoding");
  if (encoding !== null && encoding !== "linear16" && encoding !== "mulaw" && encoding !== "opus") {
    return `Unsupported encoding: ${encoding}.`;
  }
  if (encoding !== null && !/^\d+$/.test(q.get("sample_rate") ?? "")) {
    return "sample_rate is required when encoding is specified.";
  }
  const utteranceEnd = q.get("utterance_end_ms");
  if (utteranceEnd !== null) {
    if (q.get("interim_results") !== "true") return "utterance_end_ms requires interim_results=true.";
    if (!(Number(utteranceEnd) >= 1000)) return "utterance_end_ms must be at least 1000.";
  }
  return undefined;
}

function tokenFrom(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string" && auth.startsWith("Token ")) return auth.slice("Token ".length);
  const protocols = headers["sec-websocket-protocol"];
  if (typeof protocols === "string") {
    const [scheme, key] = protocols.split(",").map((p) => p.trim());
    if (scheme === "token" && key !== undefined) return key;
  }
  return undefined;
}

/** Lower case without punctuation: what Deepgram writes with punctuate and smart_format off. */
function plain(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

export async function startFakeDeepgram(options: FakeDeepgramOptions = {}): Promise<FakeDeepgramServer> {
  const apiKey = options.apiKey ?? "dg-test-key";
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  const interimEveryMs = options.interimEveryMs ?? 200;
  const msPerWord = options.msPerWord ?? 200;
  const finalizeMinAudioMs = options.finalizeMinAudioMs ?? 60;
  const minVoicedMs = options.minVoicedMs ?? 60;
  const voicedRms = options.voicedRms ?? 0.02;
  const script: string[] = [];
  const sessions: ListenSession[] = [];
  const sessionWaiters: { count: number; resolve: (s: ListenSession) => void }[] = [];
  let rejectAudio = false;

  const server = await FakeServer.start({
    authorize: ({ headers }) => tokenFrom(headers) === apiKey,
    authFailure: {
      status: 401,
      body: { err_code: "INVALID_AUTH", err_msg: "Invalid credentials.", request_id: randomUUID() },
      headers: { "dg-error": "Invalid credentials.", "dg-request-id": randomUUID() },
    },
    rateLimited: {
      status: 429,
      body: {
        err_code: "TOO_MANY_REQUESTS",
        err_msg: "Too many requests. Please try again later",
        request_id: randomUUID(),
      },
      headers: { "dg-error": "Too many requests. Please try again later" },
    },
    refuseUpgrade: ({ url }) => {
      if (url.pathname !== "/v1/listen")
        return { status: 404, body: { err_code: "NOT_FOUND", err_msg: "Not found" } };
      const problem = queryProblem(url.searchParams);
      return problem === undefined ? undefined : badRequest(problem);
    },
    websocket: (socket) => serve(socket),
  });

  function serve(socket: FakeSocket): void {
    const q = socket.url.searchParams;
    const sampleRateHz = Number(q.get("sample_rate") ?? "16000");
    const encoding = q.get("encoding");
    const interim = q.get("interim_results") === "true";
    const vadEvents = q.get("vad_events") === "true";
    const endpointing = q.get("endpointing");
    const endpointingMs =
      endpointing === null ? 10 : endpointing === "false" ? undefined : Number(endpointing);
    const utteranceEndMs = q.get("utterance_end_ms") === null ? undefined : Number(q.get("utterance_end_ms"));
    const formatted = q.get("punctuate") === "true" || q.get("smart_format") === "true";
    const model = q.get("model") ?? "base";
    const requestId = randomUUID();
    const modelUuid = randomUUID();
    const hash = createHash("sha256");
    const frameSamples = Math.round(sampleRateHz / 100); // 10 ms analysis frames
    const controls: string[] = [];
    const sent: Record<string, unknown>[] = [];
    const sentAtMs: number[] = [];
    let audioBytes = 0;
    let carry: Buffer = Buffer.alloc(0);
    let analysed: number[] = []; // samples not yet analysed (less than a frame)
    let nowMs = 0; // audio time analysed
    // The segment not finalized yet: from `segStartMs` to `nowMs`.
    let segStartMs = 0;
    let voicedMs = 0;
    let firstVoicedMs: number | undefined;
    let lastVoicedEndMs: number | undefined;
    let lastInterimAtMs = 0;
    let speaking = false;
    let silenceMs = 1000;
    let lastWordEndMs: number | undefined; // for UtteranceEnd
    let closed = false;

    const session: ListenSession = {
      query: q,
      headers: socket.headers,
      sampleRateHz,
      get audioBytes() {
        return audioBytes;
      },
      get audioMs() {
        return (audioBytes / 2 / sampleRateHz) * 1000;
      },
      controls,
      sent,
      socket,
      sentAtMs,
    };
    sessions.push(session);
    for (const waiter of [...sessionWaiters]) {
      if (sessions.length >= waiter.count) {
        sessionWaiters.splice(sessionWaiters.indexOf(waiter), 1);
        waiter.resolve(session);
      }
    }

    const send = (message: Record<string, unknown>) => {
      if (closed) return;
      sent.push(message);
      sentAtMs.push(performance.now());
      socket.sendJson(message);
    };
    const close = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      clearTimeout(idle);
      socket.close(code, reason);
    };
    let idle = setTimeout(() => close(1011, "NET-0001"), idleTimeoutMs);
    const heard = () => {
      clearTimeout(idle);
      idle = setTimeout(() => close(1011, "NET-0001"), idleTimeoutMs);
    };
    void socket.closed.then(() => {
      closed = true;
      clearTimeout(idle);
    });

    const wordsOf = (utterance: string | undefined): string[] =>
      utterance === undefined ? [] : (formatted ? utterance : plain(utterance)).split(/\s+/).filter(Boolean);

    const results = (
      words: string[],
      flags: { isFinal: boolean; speechFinal: boolean; fromFinalize: boolean },
    ) => {
      const start = segStartMs / 1000;
      const duration = (nowMs - segStartMs) / 1000;
      const from = firstVoicedMs ?? segStartMs;
      const to = lastVoicedEndMs ?? nowMs;
      const step = words.length === 0 ? 0 : (to - from) / words.length;
      const wire = words.map((w, i) => ({
        word: plain(w),
        start: round((from + i * step) / 1000),
        end: round((from + (i + 1) * step) / 1000),
        confidence: 0.98,
        punctuated_word: w,
      }));
      send({
        type: "Results",
        channel_index: [0, 1],
        duration: round(duration),
        start: round(start),
        is_final: flags.isFinal,
        speech_final: flags.speechFinal,
        from_finalize: flags.fromFinalize,
        channel: {
          alternatives: [
            { transcript: words.join(" "), confidence: words.length === 0 ? 0 : 0.98, words: wire },
          ],
        },
        metadata: {
          request_id: requestId,
          model_info: {
            name: `general-${model}`,
            version: "2025-01-01.0",
            arch: model.split("-").slice(0, 2).join("-"),
          },
          model_uuid: modelUuid,
        },
      });
    };

    /** Ends the current segment with a final; the script moves on when it had words. */
    const finalize = (flags: { speechFinal: boolean; fromFinalize: boolean }) => {
      const spoken = voicedMs >= minVoicedMs;
      const words = spoken ? wordsOf(script[0]) : [];
      if (spoken && script.length > 0) script.shift();
      results(words, { isFinal: true, ...flags });
      if (words.length > 0) lastWordEndMs = lastVoicedEndMs ?? nowMs;
      segStartMs = nowMs;
      voicedMs = 0;
      firstVoicedMs = undefined;
      lastVoicedEndMs = undefined;
      lastInterimAtMs = nowMs;
    };

    const analyse = (samples: Int16Array) => {
      for (const s of samples) analysed.push(s);
      while (analysed.length >= frameSamples) {
        const frame = analysed.slice(0, frameSamples);
        analysed = analysed.slice(frameSamples);
        let sum = 0;
        for (const s of frame) sum += (s / 32768) ** 2;
        const voiced = Math.sqrt(sum / frame.length) > voicedRms;
        const frameStart = nowMs;
        nowMs += (frame.length / sampleRateHz) * 1000;
        if (voiced) {
          if (!speaking && silenceMs >= 100 && vadEvents) {
            send({ type: "SpeechStarted", channel: [0, 1], timestamp: round(frameStart / 1000) });
          }
          speaking = true;
          silenceMs = 0;
          voicedMs += nowMs - frameStart;
          firstVoicedMs ??= frameStart;
          lastVoicedEndMs = nowMs;
        } else {
          silenceMs += nowMs - frameStart;
        }
        if (interim && voicedMs > 0 && nowMs - lastInterimAtMs >= interimEveryMs) {
          lastInterimAtMs = nowMs;
          const words = wordsOf(script[0]);
          results(words.slice(0, Math.min(words.length, Math.ceil(voicedMs / msPerWord))), {
            isFinal: false,
            speechFinal: false,
            fromFinalize: false,
          });
        }
        if (endpointingMs !== undefined && voicedMs >= minVoicedMs && silenceMs >= endpointingMs) {
          speaking = false;
          finalize({ speechFinal: true, fromFinalize: false });
        }
        if (!voiced && silenceMs >= 300) speaking = false;
        if (
          utteranceEndMs !== undefined &&
          lastWordEndMs !== undefined &&
          voicedMs === 0 &&
          nowMs - lastWordEndMs >= utteranceEndMs
        ) {
          send({ type: "UtteranceEnd", channel: [0, 1], last_word_end: round(lastWordEndMs / 1000) });
          lastWordEndMs = undefined;
        }
      }
    };

    socket.onMessage((message) => {
      if (closed) return;
      heard();
      if (message.binary) {
        const data = Buffer.from(message.data);
        if (data.length === 0) {
          // An empty frame ends Deepgram's stream.
          finishStream();
          return;
        }
        if (
          rejectAudio ||
          (audioBytes === 0 &&
            encoding === null &&
            !CONTAINER_MAGIC.some((m) => data.subarray(0, 4).toString("latin1").startsWith(m)))
        ) {
          rejectAudio = false;
          close(1008, "DATA-0000");
          return;
        }
        audioBytes += data.length;
        hash.update(data);
        const bytes = Buffer.concat([carry, data]);
        const even = bytes.length - (bytes.length % 2);
        carry = bytes.subarray(even);
        const samples = new Int16Array(even / 2);
        for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
        analyse(samples);
        return;
      }
      let control: { type?: unknown };
      try {
        control = JSON.parse(message.data) as { type?: unknown };
      } catch {
        return; // Deepgram ignores text it cannot read
      }
      const type = typeof control.type === "string" ? control.type : "?";
      controls.push(type);
      if (type === "Finalize") {
        if (nowMs - segStartMs >= finalizeMinAudioMs) finalize({ speechFinal: false, fromFinalize: true });
      } else if (type === "CloseStream") {
        finishStream();
      }
    });

    function finishStream(): void {
      if (voicedMs >= minVoicedMs) finalize({ speechFinal: false, fromFinalize: false });
      send({
        type: "Metadata",
        transaction_key: "deprecated",
        request_id: requestId,
        sha256: hash.digest("hex"),
        created: new Date().toISOString(),
        duration: round(session.audioMs / 1000),
        channels: 1,
        models: [modelUuid],
        model_info: { [modelUuid]: { name: `general-${model}`, version: "2025-01-01.0", arch: model } },
      });
      close(1000, "");
    }
  }

  return {
    baseUrl: server.httpUrl,
    apiKey,
    faults: server.faults,
    sessions,
    say: (...utterances) => {
      script.push(...utterances);
    },
    rejectNextAudio: () => {
      rejectAudio = true;
    },
    waitForSessions: (count, timeoutMs = 5000) =>
      new Promise<ListenSession>((resolve, reject) => {
        if (sessions.length >= count) {
          resolve(sessions[count - 1]!);
          return;
        }
        const timer = setTimeout(
          () =>
            reject(new Error(`fake Deepgram: ${sessions.length} of ${count} sessions after ${timeoutMs} ms`)),
          timeoutMs,
        );
        sessionWaiters.push({
          count,
          resolve: (s) => {
            clearTimeout(timer);
            resolve(s);
          },
        });
      }),
    close: () => server.close(),
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
