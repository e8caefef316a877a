// The local edge's HTTP routes: WebRTC signalling for browsers (offer/answer, leave) and the
// demo page at `/`. One encapsulated Fastify plugin; errors answer `{"detail": ...}` like the
// rest of the API.
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "callwright";
import type { FastifyError, FastifyPluginAsync, FastifyReply } from "fastify";
import type { CallHub, OfferRequest } from "./hub.js";
import { browserIceServer } from "./options.js";
import { MAX_OFFER_BYTES } from "./sdp.js";

/** Where the demo page's files are (`packages/local/public`). */
export const DEMO_PAGE_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

interface StaticFile {
  body: Buffer;
  type: string;
}

function loadPage(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined) continue;
    files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return files;
}

type Problem = { loc: string[]; msg: string; type: string };

/** The offer body `{sdp, type: "offer", participant_id?, name?}`, or what is wrong with it (422). */
function parseOfferBody(body: unknown): OfferRequest | { problems: Problem[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return {
      problems: [
        { loc: ["body"], msg: "the body must be a JSON object {sdp, type: 'offer'}", type: "dict_type" },
      ],
    };
  }
  const b = body as Record<string, unknown>;
  const problems: Problem[] = [];
  if (typeof b.sdp !== "string")
    problems.push({ loc: ["body", "sdp"], msg: "a string is required", type: "string_type" });
  if (b.type !== "offer")
    problems.push({ loc: ["body", "type"], msg: "must be 'offer'", type: "literal_error" });
  const optional = (name: string, maxChars: number) => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.length > maxChars) {
      problems.push({
        loc: ["body", name],
        msg: `must be a string of at most ${maxChars} characters`,
        type: "string_type",
      });
      return undefined;
    }
    return v === "" ? undefined : v;
  };
  const participantId = optional("participant_id", 64);
  const name = optional("name", 64);
  if (problems.length > 0) return { problems };
  return {
    sdp: b.sdp as string,
    ...(participantId === undefined ? {} : { participantId }),
    ...(name === undefined ? {} : { name }),
  };
}

function sendStatic(reply: FastifyReply, file: StaticFile): FastifyReply {
  return reply.header("content-type", file.type).header("cache-control", "no-cache").send(file.body);
}

export interface LocalEdgeRoutesOptions {
  /** Serve the demo page at `/`. Default true. */
  demoPage?: boolean;
  /** Folder of the demo page. Default the package's `public/`. */
  pageDir?: string;
}

/** The routes plugin for `hub`. */
export function localEdgeRoutes(hub: CallHub, options: LocalEdgeRoutesOptions = {}): FastifyPluginAsync {
  return async (app) => {
    // Fastify's logger is pino, whose type here omits `bindings()`.
    hub.adoptLogger((app.log as unknown as Logger).child({ component: "local-edge" }));
    app.addHook("onClose", async () => hub.endAllCalls("the server is shutting down"));

    app.setErrorHandler((error: FastifyError & { detail?: unknown }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (error.name === "HttpError" || (status >= 400 && status < 500)) {
        return reply.code(status).send({ detail: error.detail ?? error.message });
      }
      request.log.error({ err: error }, "local edge route failed");
      return reply.code(500).send({ detail: "Internal Server Error" });
    });

    if (options.demoPage ?? true) {
      const files = loadPage(options.pageDir ?? DEMO_PAGE_DIR);
      const index = files.get("index.html");
      if (index === undefined)
        throw new Error(`the demo page is missing: no index.html in ${options.pageDir}`);
      app.get("/", async (_request, reply) => sendStatic(reply, index));
      app.get<{ Params: { file: string } }>("/local/static/:file", async (request, reply) => {
        const file = files.get(request.params.file);
        if (file === undefined) return reply.code(404).send({ detail: "Not Found" });
        return sendStatic(reply, file);
      });
    }

    app.get("/local/config", async () => ({
      ice_servers: hub.webrtc.iceServers.map(browserIceServer),
    }));

    app.get<{ Params: { call_id: string } }>("/local/calls/:call_id", async (request, reply) => {
      const call = hub.getCall(request.params.call_id);
      if (call === undefined) {
        return reply.code(404).send({ detail: `Call with id '${request.params.call_id}' not found` });
      }
      return {
        call_id: call.id,
        call_type: call.type,
        agents: call.agents.size,
        participants: [...call.participants.values()].map((p) => ({
          participant_id: p.id,
          name: p.name ?? null,
        })),
      };
    });

    app.post<{ Params: { call_id: string }; Body: unknown }>(
      "/local/calls/:call_id/offer",
      { bodyLimit: MAX_OFFER_BYTES * 2 },
      async (request, reply) => {
        const body = parseOfferBody(request.body);
        if ("problems" in body) return reply.code(422).send({ detail: body.problems });
        const result = await hub.offer(request.params.call_id, body);
        return reply
          .code(200)
          .header("server-timing", `answer;dur=${result.answerMs.toFixed(1)}`)
          .send({ sdp: result.sdp, type: "answer", participant_id: result.participantId });
      },
    );

    const leave = async (
      request: { params: { call_id: string; participant_id: string } },
      reply: FastifyReply,
    ): Promise<FastifyReply> => {
      hub.leave(request.params.call_id, request.params.participant_id);
      return reply.code(204).send();
    };
    app.post<{ Params: { call_id: string; participant_id: string } }>(
      "/local/calls/:call_id/participants/:participant_id/leave",
      leave,
    );
    app.delete<{ Params: { call_id: string; participant_id: string } }>(
      "/local/calls/:call_id/participants/:participant_id",
      leave,
    );
  };
}
