// A fake of Google's Gemini API (generativelanguage v1beta) on 127.0.0.1, built from Google's
// public documentation and the errors it is seen to answer: `models/{m}:streamGenerateContent`
// streams GenerateContentResponse chunks as server-sent events (`?alt=sse`: `data: {...}` and a
// CRLF blank line) or as one JSON array (no `alt`), each chunk with `candidates[0].content.parts`
// (text, functionCall with a thoughtSignature), running `usageMetadata`, `modelVersion` and
// `responseId`, the last with its `finishReason`. It checks requests as the API does: the key
// (`x-goog-api-key` or `?key=`: a wrong key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID,
// none is 403 PERMISSION_DENIED), the request's field names (an unknown one, such as
// `additionalProperties` in a function's parameters, is a 400 "Unknown name"), roles, empty
// parts and texts, array schemas without `items`. Faults from the provider fake kit: a bad key,
// 429 RESOURCE_EXHAUSTED with google.rpc.RetryInfo, a slow first byte, a drop after N chunks,
// a malformed chunk; and scripted stalls, hangs and drops.
import type { IncomingHttpHeaders } from "node:http";
import { sleep } from "@callwright/provider-utils";
import {
  type ChunkWriter,
  type FakeFaults,
  type FakeHttpRequest,
  type FakeHttpResponse,
  FakeServer,
} from "@callwright/provider-utils/testing";

/** One step of a streamed reply; each content step is one chunk (one SSE event). */
export type GeminiStep =
  /** A chunk whose candidate says `text` (a thought summary when `thought`). */
  | { text: string; thought?: boolean }
  /** A chunk with one function call, signed as a thinking model signs its first call. */
  | { functionCall: { name: string; args?: Record<string, unknown>; id?: string }; thoughtSignature?: string }
  /** The last chunk: an empty text part, `finishReason`, and the final usage. */
  | { finish: string }
  /** A chunk with no candidate, only `promptFeedback.blockReason` (a refused prompt). */
  | { blocked: string }
  /** Any JSON as one event (an `{"error": {...}}` mid-stream, say). */
  | { data: unknown }
  /** Bytes as they are. */
  | { raw: string }
  | { waitMs: number }
  /** Stop writing but keep the connection open. */
  | { stall: true }
  /** Destroy the connection now. */
  | { drop: true };

export interface GeminiUsage {
  promptTokens?: number;
  candidatesTokens?: number;
  thoughtsTokens?: number;
}

export type GeminiReply =
  | { kind: "stream"; steps: GeminiStep[]; usage?: GeminiUsage }
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "hang" }
  | { kind: "drop" };

export interface RecordedGeminiRequest {
  method: string;
  /** Path and query, e.g. "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse". */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  receivedAtMs: number;
  finished: Promise<void>;
  readonly clientAborted: boolean;
}

export interface FakeGeminiOptions {
  /** The key requests must carry. Default "fake-gemini-key". */
  apiKey?: string;
  /** Models GET /v1beta/models lists and generation accepts. Default the 2.5 and 2.0 Flash and Pro ids. */
  models?: string[];
  /** `retryDelay` of the RetryInfo in the kit's `rateLimitNext` answer. Default "0.05s". */
  rateLimitRetryDelay?: string;
}

export interface FakeGeminiServer {
  /** Scheme, host and port, e.g. http://127.0.0.1:40123 (what GEMINI_BASE_URL takes). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request received, in order. */
  readonly requests: RecordedGeminiRequest[];
  readonly faults: FakeFaults;
  readonly connectionsAccepted: number;
  /** Queues replies for the next generation requests, one each, in order. */
  reply(...replies: (GeminiReply | ((request: RecordedGeminiRequest) => GeminiReply))[]): void;
  /** Resolves when `count` generation requests have arrived. */
  waitForRequests(count: number): Promise<RecordedGeminiRequest[]>;
  close(): Promise<void>;
}

/** Google's error body: `{"error": {code, message, status, details}}`. */
export function googleError(code: number, status: string, message: string, details: unknown[] = []) {
  return { error: { code, message, status, ...(details.length === 0 ? {} : { details }) } };
}

export const INVALID_KEY_BODY = googleError(
  400,
  "INVALID_ARGUMENT",
  "API key not valid. Please pass a valid API key.",
  [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
      domain: "googleapis.com",
      metadata: { service: "generativelanguage.googleapis.com" },
    },
    {
      "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
      locale: "en-US",
      message: "API key not valid. Please pass a valid API key.",
    },
  ],
);

export const NO_KEY_BODY = googleError(
  403,
  "PERMISSION_DENIED",
  "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
);

/** 429 as Gemini sends it: QuotaFailure, Help, and RetryInfo with `retryDelay` ("39s", "0.5s"). */
export function rateLimitedBody(retryDelay: string) {
  return googleError(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [
          {
            quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            quotaDimensions: { location: "global", model: "gemini-2.5-flash" },
            quotaValue: "10",
          },
        ],
      },
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        links: [
          {
            description: "Learn more about Gemini API quotas",
            url: "https://ai.google.dev/gemini-api/docs/rate-limits",
          },
        ],
      },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
    ],
  );
}

export function rateLimitedReply(retryDelay = "0.05s"): GeminiReply {
  return { kind: "json", status: 429, body: rateLimitedBody(retryDelay) };
}

/** 503 UNAVAILABLE "The model is overloaded", or 500 INTERNAL. */
export function serverErrorReply(status: 500 | 503 = 503): GeminiReply {
  return status === 503
    ? {
        kind: "json",
        status,
        body: googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
      }
    : {
        kind: "json",
        status,
        body: googleError(
          500,
          "INTERNAL",
          "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
        ),
      };
}

/** A text reply, one chunk per piece (a string is split after each space), ending with STOP. */
export function textReply(
  text: string | string[],
  options: { usage?: GeminiUsage; waitMs?: number } = {},
): GeminiReply {
  const pieces = typeof text === "string" ? (text.match(/\S+\s*|\s+/g) ?? []) : text;
  const steps: GeminiStep[] = [];
  for (const piece of pieces) {
    if (options.waitMs !== undefined) steps.push({ waitMs: options.waitMs });
    steps.push({ text: piece });
  }
  steps.push({ finish: "STOP" });
  return { kind: "stream", steps, ...(options.usage === undefined ? {} : { usage: options.usage }) };
}

/** Function calls, each whole in its chunk (the first signed), ending with STOP as Gemini does. */
export function functionCallReply(
  calls: { name: string; args?: Record<string, unknown>; id?: string }[],
  options: { usage?: GeminiUsage; text?: string; signature?: string } = {},
): GeminiReply {
  const steps: GeminiStep[] = [];
  if (options.text !== undefined) steps.push({ text: options.text });
  calls.forEach((call, index) => {
    steps.push({
      functionCall: call,
      ...(index === 0 && options.signature !== undefined ? { thoughtSignature: options.signature } : {}),
    });
  });
  steps.push({ finish: "STOP" });
  return { kind: "stream", steps, ...(options.usage === undefined ? {} : { usage: options.usage }) };
}

const DEFAULT_MODELS = [
  "gemini-2.5-flash",
  "gemini-2.5-flash-lite",
  "gemini-2.5-pro",
  "gemini-2.0-flash",
  "gemini-3-flash-preview",
];

// ---- request checks, as the API answers them ----

const REQUEST_FIELDS = new Set([
  "contents",
  "systemInstruction",
  "system_instruction",
  "tools",
  "toolConfig",
  "generationConfig",
  "safetySettings",
  "cachedContent",
]);
const PART_FIELDS = new Set([
  "text",
  "thought",
  "thoughtSignature",
  "inlineData",
  "fileData",
  "functionCall",
  "functionResponse",
  "executableCode",
  "codeExecutionResult",
]);
const PART_DATA = [
  "text",
  "inlineData",
  "fileData",
  "functionCall",
  "functionResponse",
  "executableCode",
  "codeExecutionResult",
];
const SCHEMA_FIELDS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);
const SCHEMA_TYPES = new Set([
  "TYPE_UNSPECIFIED",
  "STRING",
  "NUMBER",
  "INTEGER",
  "BOOLEAN",
  "ARRAY",
  "OBJECT",
  "NULL",
]);
const GENERATION_FIELDS = new Set([
  "temperature",
  "topP",
  "topK",
  "candidateCount",
  "maxOutputTokens",
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "thinkingConfig",
  "presencePenalty",
  "frequencyPenalty",
  "seed",
]);

/** Google's wording for a payload field it does not know. */
function unknownName(name: string, at: string): string {
  return `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`;
}

/** The problems Google would answer 400 with, in its words (empty when the request is well formed). */
export function checkGenerateRequest(body: unknown): string[] {
  const problems: string[] = [];
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return ["Invalid JSON payload received. Expected an object."];
  }
  const request = body as Record<string, unknown>;
  for (const key of Object.keys(request)) if (!REQUEST_FIELDS.has(key)) problems.push(unknownName(key, ""));
  const contents = request.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    problems.push("* GenerateContentRequest.contents: contents is not specified");
  } else {
    contents.forEach((content, i) => {
      checkContent(content, `contents[${i}]`, problems, true);
    });
  }
  const system = request.systemInstruction ?? request.system_instruction;
  if (system !== undefined) checkContent(system, "system_instruction", problems, false);
  if (request.generationConfig !== undefined) {
    for (const key of Object.keys(request.generationConfig as object)) {
      if (!GENERATION_FIELDS.has(key)) problems.push(unknownName(key, "generation_config"));
    }
  }
  if (request.tools !== undefined) {
    (request.tools as unknown[]).forEach((tool, t) => {
      const declarations = (tool as { functionDeclarations?: unknown[] }).functionDeclarations ?? [];
      declarations.forEach((declaration, d) => {
        const at = `tools[${t}].function_declarations[${d}]`;
        const decl = declaration as Record<string, unknown>;
        for (const key of Object.keys(decl)) {
          if (
            !["name", "description", "parameters", "parametersJsonSchema", "response", "behavior"].includes(
              key,
            )
          ) {
            problems.push(unknownName(key, at));
          }
        }
        if (typeof decl.name !== "string" || !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(decl.name)) {
          problems.push(
            `* GenerateContentRequest.${at}.name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.`,
          );
        }
        if (decl.parameters !== undefined) checkSchema(decl.parameters, `${at}.parameters`, problems, true);
      });
    });
  }
  return problems;
}

function checkContent(value: unknown, at: string, problems: string[], needsRole: boolean): void {
  const content = value as { role?: unknown; parts?: unknown };
  if (needsRole && content.role !== undefined && content.role !== "user" && content.role !== "model") {
    problems.push("Please use a valid role: user, model.");
  }
  if (!Array.isArray(content.parts) || content.parts.length === 0) {
    problems.push(`* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`);
    return;
  }
  content.parts.forEach((raw, p) => {
    const part = raw as Record<string, unknown>;
    for (const key of Object.keys(part)) {
      if (!PART_FIELDS.has(key)) problems.push(unknownName(key, `${at}.parts[${p}]`));
    }
    const data = PART_DATA.filter((k) => part[k] !== undefined);
    if (data.length !== 1) {
      problems.push(
        `* GenerateContentRequest.${at}.parts[${p}].data: required oneof field 'data' must have one initialized field`,
      );
    }
    if (part.text === "") {
      problems.push(
        "Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again.",
      );
    }
    const response = (part.functionResponse as { response?: unknown } | undefined)?.response;
    if (
      part.functionResponse !== undefined &&
      (typeof response !== "object" || response === null || Array.isArray(response))
    ) {
      problems.push(
        `Invalid JSON payload received. Unknown name "response" at '${at}.parts[${p}].function_response': Proto field is not repeating, cannot start list.`,
      );
    }
    const call = part.functionCall as { args?: unknown } | undefined;
    if (
      call !== undefined &&
      call.args !== undefined &&
      (typeof call.args !== "object" || Array.isArray(call.args))
    ) {
      problems.push(
        `Invalid value at '${at}.parts[${p}].function_call.args' (type.googleapis.com/google.protobuf.Struct)`,
      );
    }
  });
}

function checkSchema(value: unknown, at: string, problems: string[], top: boolean): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(
      `Invalid value at '${at}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Schema)`,
    );
    return;
  }
  const schema = value as Record<string, unknown>;
  for (const key of Object.keys(schema)) if (!SCHEMA_FIELDS.has(key)) problems.push(unknownName(key, at));
  if (Array.isArray(schema.type)) {
    problems.push(
      `Invalid JSON payload received. Unknown name "type" at '${at}': Proto field is not repeating, cannot start list.`,
    );
  } else if (schema.type !== undefined && !SCHEMA_TYPES.has(String(schema.type).toUpperCase())) {
    problems.push(
      `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "${String(schema.type)}"`,
    );
  }
  const type = String(schema.type ?? "").toUpperCase();
  if (
    schema.enum !== undefined &&
    (!Array.isArray(schema.enum) || schema.enum.some((v) => typeof v !== "string"))
  ) {
    problems.push(`Invalid value at '${at}.enum' (TYPE_STRING)`);
  }
  if (type === "ARRAY" && schema.items === undefined)
    problems.push(`* GenerateContentRequest.${at}.items: missing field.`);
  if (
    type === "OBJECT" &&
    top &&
    (schema.properties === undefined || Object.keys(schema.properties as object).length === 0)
  ) {
    problems.push(`* GenerateContentRequest.${at}.properties: should be non-empty for OBJECT type`);
  }
  if (schema.properties !== undefined) {
    for (const [name, sub] of Object.entries(schema.properties as object)) {
      checkSchema(sub, `${at}.properties[${name}].value`, problems, false);
    }
  }
  if (schema.items !== undefined) checkSchema(schema.items, `${at}.items`, problems, false);
  if (Array.isArray(schema.anyOf))
    schema.anyOf.forEach((s, i) => {
      checkSchema(s, `${at}.any_of[${i}]`, problems, false);
    });
}

// ---- the server ----

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGeminiServer> {
  const apiKey = options.apiKey ?? "fake-gemini-key";
  const models = options.models ?? DEFAULT_MODELS;
  const queue: (GeminiReply | ((request: RecordedGeminiRequest) => GeminiReply))[] = [];
  const requests: RecordedGeminiRequest[] = [];
  const waiters: { count: number; resolve: (r: RecordedGeminiRequest[]) => void }[] = [];
  let generations = 0;
  const generationRequests = () => requests.filter((r) => r.path.includes(":streamGenerateContent"));

  const fake = await FakeServer.start({
    http: handle,
    authFailure: { status: 400, body: INVALID_KEY_BODY },
    rateLimited: { status: 429, body: rateLimitedBody(options.rateLimitRetryDelay ?? "0.05s") },
    // A chunk cut off mid-JSON, framed as an event.
    malformed: 'data: {"candidates": [{"content": {"parts": [{"text": "Hel\r\n\r\n',
  });

  async function handle(req: FakeHttpRequest, res: FakeHttpResponse): Promise<void> {
    const recorded: RecordedGeminiRequest = {
      method: req.method,
      path: req.path,
      url: req.url,
      headers: req.headers,
      body:
        req.json !== null && typeof req.json === "object" && !Array.isArray(req.json)
          ? (req.json as Record<string, unknown>)
          : {},
      receivedAtMs: req.receivedAtMs,
      finished: req.finished,
      get clientAborted() {
        return req.clientAborted;
      },
    };
    requests.push(recorded);

    const given = req.headers["x-goog-api-key"] ?? req.url.searchParams.get("key") ?? undefined;
    if (given === undefined || given === "") return res.json(403, NO_KEY_BODY);
    if (given !== apiKey) return res.json(400, INVALID_KEY_BODY);

    const match = /^\/(v1beta|v1|v1alpha)\/models(?:\/([^/:]+))?(?::([A-Za-z]+))?$/.exec(req.url.pathname);
    if (match === null) return res.json(404, googleError(404, "NOT_FOUND", `Not found: ${req.url.pathname}`));
    const [, version, model, method] = match;
    if (req.method === "GET" && model === undefined) {
      return res.json(200, {
        models: models.map((m) => modelInfo(m)),
      });
    }
    if (model === undefined) return res.json(404, googleError(404, "NOT_FOUND", "Not found"));
    if (!models.includes(model)) {
      return res.json(
        404,
        googleError(
          404,
          "NOT_FOUND",
          `models/${model} is not found for API version ${version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
        ),
      );
    }
    if (req.method === "GET" && method === undefined) return res.json(200, modelInfo(model));
    if (req.method !== "POST" || method !== "streamGenerateContent") {
      return res.json(
        404,
        googleError(404, "NOT_FOUND", `The fake serves streamGenerateContent only (got ${method})`),
      );
    }
    if (req.json === undefined) {
      return res.json(
        400,
        googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token."),
      );
    }
    const problems = checkGenerateRequest(req.json);
    if (problems.length > 0) {
      return res.json(400, googleError(400, "INVALID_ARGUMENT", problems.join("\n")));
    }
    generations += 1;
    for (const waiter of [...waiters]) {
      if (generationRequests().length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(generationRequests());
      }
    }
    const next = queue.shift();
    if (next === undefined) {
      return res.json(
        500,
        googleError(500, "INTERNAL", `fake Gemini: no reply scripted for request ${generations}`),
      );
    }
    const reply = typeof next === "function" ? next(recorded) : next;
    if (reply.kind === "hang") return res.hang();
    if (reply.kind === "drop") return res.drop();
    if (reply.kind === "json") return res.json(reply.status, reply.body, reply.headers);
    const sse = req.url.searchParams.get("alt") === "sse";
    await stream(res, reply, model, recorded, sse, generations);
  }

  async function stream(
    res: FakeHttpResponse,
    reply: Extract<GeminiReply, { kind: "stream" }>,
    model: string,
    request: RecordedGeminiRequest,
    sse: boolean,
    n: number,
  ): Promise<void> {
    const prompt =
      reply.usage?.promptTokens ??
      Math.max(1, Math.ceil(JSON.stringify(request.body.contents ?? []).length / 4));
    let candidates = 0;
    const usage = (final: boolean) => {
      const out =
        final && reply.usage?.candidatesTokens !== undefined ? reply.usage.candidatesTokens : candidates;
      const thoughts = final ? reply.usage?.thoughtsTokens : undefined;
      return {
        promptTokenCount: prompt,
        ...(out > 0 ? { candidatesTokenCount: out } : {}),
        totalTokenCount: prompt + out + (thoughts ?? 0),
        promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
        ...(thoughts === undefined ? {} : { thoughtsTokenCount: thoughts }),
      };
    };
    const envelope = { modelVersion: model, responseId: `fake-response-${n}` };
    const chunk = (parts: unknown[], finishReason?: string) => ({
      candidates: [
        {
          content: { parts, role: "model" },
          ...(finishReason === undefined ? {} : { finishReason }),
          index: 0,
        },
      ],
      usageMetadata: usage(finishReason !== undefined),
      ...envelope,
    });
    const writer = await res.stream(200, {
      "content-type": sse ? "text/event-stream" : "application/json; charset=UTF-8",
      vary: "Origin, X-Origin, Referer",
      "x-content-type-options": "nosniff",
    });
    let first = true;
    const send = (value: unknown) => write(writer, value, sse, first);
    for (const step of reply.steps) {
      if (!writer.open) return;
      if ("text" in step) {
        candidates += Math.max(1, Math.ceil(step.text.length / 4));
        send(chunk([{ text: step.text, ...(step.thought ? { thought: true } : {}) }]));
      } else if ("functionCall" in step) {
        candidates += 5;
        send(
          chunk([
            {
              functionCall: {
                name: step.functionCall.name,
                args: step.functionCall.args ?? {},
                ...(step.functionCall.id ? { id: step.functionCall.id } : {}),
              },
              ...(step.thoughtSignature === undefined ? {} : { thoughtSignature: step.thoughtSignature }),
            },
          ]),
        );
      } else if ("finish" in step) {
        send(chunk([{ text: "" }], step.finish));
      } else if ("blocked" in step) {
        send({ promptFeedback: { blockReason: step.blocked }, usageMetadata: usage(true), ...envelope });
      } else if ("data" in step) {
        send(step.data);
      } else if ("raw" in step) {
        writer.write(step.raw);
      } else if ("waitMs" in step) {
        await sleep(step.waitMs);
        continue;
      } else if ("stall" in step) {
        return;
      } else if ("drop" in step) {
        writer.drop();
        return;
      }
      first = false;
    }
    if (!sse && writer.open) writer.write("]");
    writer.end();
  }

  return {
    baseUrl: fake.httpUrl,
    apiKey,
    requests,
    faults: fake.faults,
    get connectionsAccepted() {
      return fake.connectionsAccepted;
    },
    reply(...replies) {
      queue.push(...replies);
    },
    waitForRequests(count) {
      if (generationRequests().length >= count) return Promise.resolve(generationRequests());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => fake.close(),
  };
}

/** One chunk: `data: {json}` and a CRLF blank line (SSE), or an element of the JSON array. */
function write(writer: ChunkWriter, value: unknown, sse: boolean, first: boolean): void {
  const json = typeof value === "string" ? value : JSON.stringify(value);
  if (sse) writer.write(`data: ${json}\r\n\r\n`);
  else writer.write(`${first ? "[" : ",\r\n"}${json}`);
}

function modelInfo(model: string) {
  return {
    name: `models/${model}`,
    version: "001",
    displayName: model,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: [
      "generateContent",
      "countTokens",
      "createCachedContent",
      "batchGenerateContent",
    ],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
    thinking: model.startsWith("gemini-2.5") || model.startsWith("gemini-3"),
  };
}
