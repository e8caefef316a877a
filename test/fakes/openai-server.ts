// A fake OpenAI-compatible server on 127.0.0.1 that speaks the chat completions wire format as
// OpenAI documents it: `data: {chat.completion.chunk}\n\n` events, tool-call deltas split across
// chunks, a usage chunk with empty `choices` when `stream_options.include_usage` is set,
// `data: [DONE]`, `{"error": {...}}` bodies. Each test scripts its replies and reads the
// requests it received; it can also stall, hang or drop the connection. Built on the provider
// fake kit (@callwright/provider-utils/testing), whose fault switches it has too (`faults`).
import type { IncomingHttpHeaders } from "node:http";
import { sleep } from "@callwright/provider-utils";
import {
  type FakeFaults,
  type FakeHttpRequest,
  type FakeHttpResponse,
  FakeServer,
} from "@callwright/provider-utils/testing";

/** A `choices[0].delta`, as OpenAI sends it. */
export interface Delta {
  role?: "assistant";
  content?: string | null;
  refusal?: string | null;
  tool_calls?: {
    index: number;
    id?: string;
    type?: "function";
    function: { name?: string; arguments: string };
  }[];
}

/** One step of a streamed reply. */
export type StreamStep =
  /** A chunk whose first choice carries `delta` (and a finish reason, null by default). */
  | { delta: Delta; finishReason?: string | null }
  /** The usage chunk (`choices: []`); sent only when the request asked for it, as OpenAI does. Counts default to estimates. */
  | { usage: { promptTokens?: number; completionTokens?: number } }
  /** `data: <json>\n\n` with any JSON (an `{"error": ...}` object mid-stream, a malformed chunk). */
  | { data: unknown }
  /** Bytes as they are: comments, CRLF events, multi-line data, a `[DONE]` without a blank line. */
  | { raw: string }
  /** `data: [DONE]\n\n`, then the response ends. */
  | { done: true }
  | { waitMs: number }
  /** Stop writing but keep the connection open (a stalled server). */
  | { stall: true }
  /** Destroy the connection now (a crashed server or a broken network). */
  | { drop: true };

export type Reply =
  | { kind: "stream"; steps: StreamStep[]; headers?: Record<string, string> }
  /** Any status with a JSON (or text) body: errors, or a non-streamed completion. */
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer (no status line). */
  | { kind: "hang" }
  /** Close the connection without answering. */
  | { kind: "drop" };

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. "/v1/chat/completions". */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON object body ({} when none or not a JSON object; see `rawBody`). */
  body: Record<string, unknown>;
  rawBody: string;
  /** performance.now() when the request arrived. */
  receivedAtMs: number;
  /** Resolves when the connection that carried the request closes or the response ends. */
  finished: Promise<void>;
  /** True when the client went away before the response was complete. */
  readonly clientAborted: boolean;
}

export interface FakeOpenAIOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise, as OpenAI answers). */
  apiKey?: string;
  /** Ids GET /v1/models lists. Default ["gpt-4o-mini"]. */
  models?: string[];
}

export interface FakeOpenAIServer {
  /** e.g. http://127.0.0.1:40123/v1 */
  readonly baseUrl: string;
  /** Every request received, in order (chat completions and others). */
  readonly requests: RecordedRequest[];
  /** Connections accepted so far (a reused keep-alive connection counts once). */
  readonly connectionsAccepted: number;
  /** The kit's fault switches (bad key, 429s, slow first byte, drop after N events, malformed event). */
  readonly faults: FakeFaults;
  /** Queues replies for the next chat completions requests, one each, in order. */
  reply(...replies: (Reply | ((request: RecordedRequest) => Reply))[]): void;
  /** Resolves when `count` chat completion requests have arrived. */
  waitForRequests(count: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** OpenAI's error body. */
export function errorBody(message: string, type = "invalid_request_error", code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

/** A text reply streamed piece by piece (a string is split after each space). */
export function textReply(
  text: string | string[],
  options: {
    finishReason?: string;
    usage?: { promptTokens?: number; completionTokens?: number };
    waitMs?: number;
  } = {},
): Reply {
  const pieces = typeof text === "string" ? (text.match(/\S+\s*|\s+/g) ?? []) : text;
  const steps: StreamStep[] = [{ delta: { role: "assistant", content: "", refusal: null } }];
  for (const content of pieces) {
    if (options.waitMs !== undefined) steps.push({ waitMs: options.waitMs });
    steps.push({ delta: { content } });
  }
  steps.push(
    { delta: {}, finishReason: options.finishReason ?? "stop" },
    { usage: options.usage ?? {} },
    { done: true },
  );
  return { kind: "stream", steps };
}

/** Tool calls, each announced in one chunk (id, name) and its arguments spread over `argumentPieces` more. */
export function toolCallReply(
  calls: { id: string; name: string; arguments: string }[],
  options: { argumentPieces?: number; usage?: { promptTokens?: number; completionTokens?: number } } = {},
): Reply {
  const steps: StreamStep[] = [{ delta: { role: "assistant", content: null } }];
  calls.forEach((call, index) => {
    steps.push({
      delta: {
        tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
      },
    });
    const n = Math.max(1, options.argumentPieces ?? 3);
    const size = Math.ceil(call.arguments.length / n);
    for (let at = 0; at < call.arguments.length; at += size) {
      steps.push({
        delta: { tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + size) } }] },
      });
    }
  });
  steps.push({ delta: {}, finishReason: "tool_calls" }, { usage: options.usage ?? {} }, { done: true });
  return { kind: "stream", steps };
}

/** 429 as OpenAI sends it, with `retry-after-ms` and/or `retry-after` (seconds). */
function rateLimitedAnswer(retry: { ms?: number; seconds?: number }) {
  const headers: Record<string, string> = {};
  if (retry.ms !== undefined) headers["retry-after-ms"] = String(retry.ms);
  if (retry.seconds !== undefined) headers["retry-after"] = String(retry.seconds);
  return {
    status: 429,
    headers,
    body: errorBody(
      "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1.",
      "requests",
      "rate_limit_exceeded",
    ),
  };
}

export function rateLimitedReply(retry: { ms?: number; seconds?: number } = {}): Reply {
  return { kind: "json", ...rateLimitedAnswer(retry) };
}

export function serverErrorReply(status = 500): Reply {
  return {
    kind: "json",
    status,
    body: errorBody(
      "The server had an error while processing your request. Sorry about that!",
      "server_error",
    ),
  };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const models = options.models ?? ["gpt-4o-mini"];
  const queue: (Reply | ((request: RecordedRequest) => Reply))[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: (r: RecordedRequest[]) => void }[] = [];
  let completionCount = 0;

  const chatRequests = () => requests.filter((r) => r.path.startsWith("/v1/chat/completions"));

  const fake = await FakeServer.start({
    http: handle,
    // OpenAI's answers to a missing or wrong key and to too many requests, for the fault switches.
    authFailure: {
      status: 401,
      body: errorBody(
        "Incorrect API key provided: sk-...fake. You can find your API key at the dashboard.",
        "invalid_request_error",
        "invalid_api_key",
      ),
    },
    rateLimited: rateLimitedAnswer({ ms: 20 }),
  });

  async function handle(req: FakeHttpRequest, res: FakeHttpResponse): Promise<void> {
    const body = req.json;
    const recorded: RecordedRequest = {
      method: req.method,
      path: req.path,
      headers: req.headers,
      body:
        body !== null && typeof body === "object" && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : {},
      rawBody: req.rawBody.toString("utf8"),
      receivedAtMs: req.receivedAtMs,
      finished: req.finished,
      get clientAborted() {
        return req.clientAborted;
      },
    };
    requests.push(recorded);

    const path = req.url.pathname;
    if (options.apiKey !== undefined) {
      const auth = req.headers.authorization;
      if (auth === undefined) {
        return res.json(
          401,
          errorBody(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          ),
        );
      }
      if (auth !== `Bearer ${options.apiKey}`) {
        return res.json(
          401,
          errorBody(
            "Incorrect API key provided: sk-...fake. You can find your API key at the dashboard.",
            "invalid_request_error",
            "invalid_api_key",
          ),
        );
      }
    }
    if (req.method === "GET" && path === "/v1/models") {
      const created = Math.floor(Date.now() / 1000);
      return res.json(200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created, owned_by: "system" })),
      });
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return res.json(404, errorBody(`Invalid URL (${req.method} ${path})`));
    }
    if (body === undefined || typeof body !== "object") {
      return res.json(400, errorBody("We could not parse the JSON body of your request."));
    }
    completionCount += 1;
    for (const waiter of [...waiters]) {
      if (chatRequests().length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(chatRequests());
      }
    }
    const next = queue.shift();
    if (next === undefined) {
      return res.json(
        500,
        errorBody(`fake OpenAI server: no reply scripted for request ${completionCount}`, "server_error"),
      );
    }
    const reply = typeof next === "function" ? next(recorded) : next;
    if (reply.kind === "hang") return res.hang();
    if (reply.kind === "drop") return res.drop();
    if (reply.kind === "json") return res.json(reply.status, reply.body, reply.headers);
    const request = body as {
      model?: string;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
      messages?: unknown;
    };
    if (request.stream !== true) {
      return res.json(400, errorBody("This fake server only streams: set `stream: true`."));
    }
    await stream(res, reply, request, completionCount);
  }

  async function stream(
    res: FakeHttpResponse,
    reply: Extract<Reply, { kind: "stream" }>,
    request: { model?: string; stream_options?: { include_usage?: boolean }; messages?: unknown },
    n: number,
  ): Promise<void> {
    const includeUsage = request.stream_options?.include_usage === true;
    const envelope = {
      id: `chatcmpl-fake${n}`,
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: request.model ?? "gpt-4o-mini",
      system_fingerprint: "fp_fake",
    };
    let completionPieces = 0;
    const sse = await res.sse({ "content-type": "text/event-stream; charset=utf-8", ...reply.headers });
    for (const step of reply.steps) {
      if (!sse.open) return;
      if ("delta" in step) {
        if (step.delta.content || step.delta.tool_calls) completionPieces += 1;
        const choice = {
          index: 0,
          delta: step.delta,
          logprobs: null,
          finish_reason: step.finishReason ?? null,
        };
        sse.event({ ...envelope, choices: [choice], ...(includeUsage ? { usage: null } : {}) });
      } else if ("usage" in step) {
        if (!includeUsage) continue;
        const prompt =
          step.usage.promptTokens ?? Math.ceil(JSON.stringify(request.messages ?? []).length / 4);
        const completion = step.usage.completionTokens ?? completionPieces;
        const usage = {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
        };
        sse.event({ ...envelope, choices: [], usage });
      } else if ("data" in step) {
        sse.event(step.data);
      } else if ("raw" in step) {
        sse.raw(step.raw);
      } else if ("done" in step) {
        sse.raw("data: [DONE]\n\n");
        sse.end();
        return;
      } else if ("waitMs" in step) {
        await sleep(step.waitMs);
      } else if ("stall" in step) {
        return;
      } else if ("drop" in step) {
        sse.drop();
        return;
      }
    }
    sse.end();
  }

  return {
    baseUrl: `${fake.httpUrl}/v1`,
    requests,
    faults: fake.faults,
    get connectionsAccepted() {
      return fake.connectionsAccepted;
    },
    reply(...replies) {
      queue.push(...replies);
    },
    waitForRequests(count) {
      if (chatRequests().length >= count) return Promise.resolve(chatRequests());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => fake.close(),
  };
}
