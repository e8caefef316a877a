// The server's guard on an edge's routes: a join token minted by the session start, scoped to
// one call and expiring; `canJoinCall`; and the default that turns tokens on once starts are
// guarded (issue 11, defect 1: anyone who knew a call id could join it).
import type { EdgeHttpRoutes } from "@callwright/spec";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { HttpError } from "../errors/index.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";
import { checkJoinToken, mintJoinToken, withJoinToken } from "./join-token.js";
import { resolveServeOptions, type ServeOptions } from "./options.js";

/** A fake edge with routes shaped like the local edge's: join, list, leave, and a public one. */
class RoutedEdge extends FakeEdge {
  httpRoutes(): EdgeHttpRoutes {
    return {
      name: "routed-fake",
      plugin: async (app: FastifyInstance) => {
        app.get("/fake/config", async () => ({ public: true }));
        app.get("/fake/calls/:call_id", async (request: FastifyRequest) => ({
          participants: [],
          call_id: (request.params as { call_id: string }).call_id,
        }));
        app.post("/fake/calls/:call_id/offer", async () => ({ type: "answer" }));
        app.post("/fake/calls/:call_id/participants/:participant_id/leave", async (_r, reply) =>
          reply.code(204).send(),
        );
      },
    };
  }
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function serve(serveOptions: ServeOptions): Promise<FastifyInstance> {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new RoutedEdge() }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
  });
  const app = buildServer(launcher, serveOptions);
  apps.push(app);
  await app.ready();
  return app;
}

function requireApiKey(request: FastifyRequest): void {
  if (request.headers["x-api-key"] !== "k") throw new HttpError(401, "Invalid API key");
}

const edgeRequests = (callId: string) =>
  [
    { method: "POST", url: `/fake/calls/${callId}/offer`, payload: { sdp: "v=0", type: "offer" } },
    { method: "GET", url: `/fake/calls/${callId}` },
    { method: "POST", url: `/fake/calls/${callId}/participants/p1/leave` },
  ] as const;

describe("join tokens on the edge's routes", () => {
  it("once starts are guarded, every call route of the edge needs the start's token for that call", async () => {
    const app = await serve({ canStartSession: requireApiKey });
    const started = await app.inject({
      method: "POST",
      url: "/sessions",
      headers: { "x-api-key": "k" },
      payload: { call_id: "room-1" },
    });
    expect(started.statusCode).toBe(201);
    const body = started.json();
    expect(body).toMatchObject({ call_id: "room-1", join_token: expect.any(String) });
    expect(Date.parse(body.join_token_expires_at)).toBeGreaterThan(Date.now());

    for (const request of edgeRequests("room-1")) {
      const stranger = await app.inject(request);
      expect(stranger.statusCode, request.url).toBe(401);
      expect(stranger.json().detail).toMatch(/join token/);

      const forged = await app.inject({ ...request, headers: { "x-join-token": "abc.def" } });
      expect(forged.statusCode, request.url).toBe(403);
      expect(forged.json()).toEqual({ detail: "The join token is not valid for this call" });

      const withHeader = await app.inject({ ...request, headers: { "x-join-token": body.join_token } });
      expect(withHeader.statusCode, request.url).toBeLessThan(300);
      // sendBeacon sets no header: the query parameter works too.
      const withQuery = await app.inject({ ...request, url: withJoinToken(request.url, body.join_token) });
      expect(withQuery.statusCode, request.url).toBeLessThan(300);
    }
    // The token of room-1 opens no other call.
    for (const request of edgeRequests("room-2")) {
      const other = await app.inject({ ...request, headers: { "x-join-token": body.join_token } });
      expect(other.statusCode, request.url).toBe(403);
    }
    // Routes that name no call stay public.
    expect((await app.inject({ method: "GET", url: "/fake/config" })).statusCode).toBe(200);
  });

  it("the call-scoped start (Vision Agents' route) returns a token too", async () => {
    const app = await serve({ canViewSession: requireApiKey });
    const started = await app.inject({ method: "POST", url: "/calls/c-9/sessions", payload: {} });
    expect(started.statusCode).toBe(201);
    const token = started.json().join_token as string;
    const [offer] = edgeRequests("c-9");
    expect((await app.inject(offer)).statusCode).toBe(401);
    expect((await app.inject({ ...offer, headers: { "x-join-token": token } })).statusCode).toBe(200);
  });

  it("an expired token is refused with 403 and says so", async () => {
    const secret = "s".repeat(32);
    const app = await serve({ requireJoinToken: true, joinTokenSecret: secret });
    const old = mintJoinToken(secret, "c", 1_000, Date.now() - 10_000).token;
    const [offer] = edgeRequests("c");
    const r = await app.inject({ ...offer, headers: { "x-join-token": old } });
    expect(r.statusCode).toBe(403);
    expect(r.json().detail).toMatch(/expired/);
  });

  it("canJoinCall guards the edge's call routes with the call id, after the token", async () => {
    const seen: unknown[] = [];
    const app = await serve({
      requireJoinToken: false,
      canJoinCall: (_request, context) => {
        seen.push(context);
        if (context.callId !== "open") throw new HttpError(403, "Not your call");
      },
    });
    const [offer] = edgeRequests("closed");
    const refused = await app.inject(offer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ detail: "Not your call" });
    expect((await app.inject(edgeRequests("open")[1])).statusCode).toBe(200);
    expect(seen).toEqual([{ callId: "closed" }, { callId: "open" }]);
  });

  it("an unguarded server (the default) needs no token, and still returns one", async () => {
    const app = await serve({});
    for (const request of edgeRequests("free")) {
      expect((await app.inject(request)).statusCode).toBeLessThan(300);
    }
    const started = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "free" } });
    expect(started.json().join_token).toEqual(expect.any(String));
  });
});

describe("join token format", () => {
  it("checks signature, call and expiry; the default secret is per process", () => {
    const secret = "0123456789abcdef";
    const now = 1_000_000;
    const { token, expiresAtMs } = mintJoinToken(secret, "call/ü", 60_000, now);
    expect(expiresAtMs).toBe(now + 60_000);
    expect(checkJoinToken(secret, token, "call/ü", now)).toBe("ok");
    expect(checkJoinToken(secret, token, "call/u", now)).toBe("other_call");
    expect(checkJoinToken(secret, token, "call/ü", now + 60_000)).toBe("expired");
    expect(checkJoinToken("another-secret-16", token, "call/ü", now)).toBe("bad_signature");
    expect(checkJoinToken(secret, `${token}x`, "call/ü", now)).toBe("bad_signature");
    expect(checkJoinToken(secret, "", "c", now)).toBe("malformed");
    expect(checkJoinToken(secret, "a".repeat(5000), "c", now)).toBe("malformed");
    expect(resolveServeOptions({}).joinTokenSecret).toBe(resolveServeOptions({}).joinTokenSecret);
    expect(() => resolveServeOptions({ joinTokenSecret: "short" })).toThrow(/16 characters/);
    expect(resolveServeOptions({}).requireJoinToken).toBe(false);
    expect(resolveServeOptions({ canCloseSession: () => {} }).requireJoinToken).toBe(true);
    expect(resolveServeOptions({ canCloseSession: () => {}, requireJoinToken: false }).requireJoinToken).toBe(
      false,
    );
  });
});
