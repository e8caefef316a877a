// JSON schemas of the session API (docs/http-api.md): they validate requests, serialize
// responses fast, and document the API in OpenAPI.
import { MAX_ID_LENGTH } from "../launcher/launcher.js";
import type { ObjectSchema } from "./validation.js";

const id = (description: string) =>
  ({ type: "string", minLength: 1, maxLength: MAX_ID_LENGTH, description }) as const;

const callId = id("The call's id on the edge network.");
const callType = {
  ...id("The call's type (Stream's call types; any string elsewhere)."),
  default: "default",
} as const;
const sessionId = id("The session's id (a UUID v4).");

export const startSessionBody = {
  type: "object",
  required: ["call_id"],
  properties: { call_id: callId, call_type: callType },
} as const satisfies ObjectSchema;

export const callScopedStartSessionBody = {
  type: "object",
  properties: { call_type: callType },
} as const satisfies ObjectSchema;

export const callParams = {
  type: "object",
  required: ["call_id"],
  properties: { call_id: callId },
} as const satisfies ObjectSchema;

export const sessionParams = {
  type: "object",
  required: ["session_id"],
  properties: { session_id: sessionId },
} as const satisfies ObjectSchema;

export const callSessionParams = {
  type: "object",
  required: ["call_id", "session_id"],
  properties: { call_id: callId, session_id: sessionId },
} as const satisfies ObjectSchema;

const timestamp = (description: string) => ({ type: "string", format: "date-time", description }) as const;

export const startSessionResponse = {
  type: "object",
  required: ["session_id", "call_id", "session_started_at"],
  properties: {
    session_id: { type: "string" },
    call_id: { type: "string" },
    session_started_at: timestamp("When the session started (ISO 8601 UTC)."),
    join_token: {
      type: "string",
      description:
        "A credential for the edge's routes of this call (join, participant list, leave): send it in the x-join-token header or the token query parameter. An addition of callwright's.",
    },
    join_token_expires_at: timestamp("When join_token stops being accepted (ISO 8601 UTC)."),
  },
} as const;

const sessionIdentity = {
  session_id: startSessionResponse.properties.session_id,
  call_id: startSessionResponse.properties.call_id,
  session_started_at: startSessionResponse.properties.session_started_at,
};

export const sessionResponse = {
  type: "object",
  required: ["session_id", "call_id", "session_started_at"],
  properties: {
    ...sessionIdentity,
    call_type: { type: "string" },
    node_id: { type: "string", description: "The node that runs the session." },
  },
} as const;

export const metricsResponse = {
  type: "object",
  required: ["session_id", "call_id", "session_started_at", "metrics_generated_at", "metrics"],
  properties: {
    ...sessionIdentity,
    metrics_generated_at: timestamp("When these metrics were read (live) or flushed (another node)."),
    metrics: {
      type: "object",
      description: "Metric name → value; an average with no samples is null, a total starts at 0.",
      additionalProperties: { type: ["number", "null"] },
    },
  },
} as const;

// `detail: {}` (any): a permission may refuse with any detail, and it must reach the client as is.
const detail = (description: string) =>
  ({ description, type: "object", properties: { detail: {} } }) as const;

export const validationErrorResponse = {
  description: "The request failed validation (FastAPI's shape).",
  type: "object",
  properties: {
    detail: {
      type: "array",
      items: {
        type: "object",
        properties: {
          type: { type: "string" },
          loc: { type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
          msg: { type: "string" },
          input: {},
          ctx: { type: "object", additionalProperties: true },
        },
      },
    },
  },
} as const;

export const errorResponses = {
  notFound: detail("No such session: `Session with id '<id>' not found`."),
  tooMany: detail("A limit was reached: this node's concurrent sessions, or this call's sessions."),
  failed: detail("`Failed to start agent` (the cause is logged, never sent)."),
  unavailable: detail("`Server is not ready to accept requests` (warming up or draining)."),
  tooLarge: detail("The body is over 64 KiB."),
  refused: detail("A permission callable refused the request."),
} as const;

export const emptyResponse = { description: "Accepted: the session is closing.", type: "null" } as const;
