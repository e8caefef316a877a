// CORS with the Python server's defaults (Starlette's CORSMiddleware semantics), and overrides.
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";
import { serveOptionsFromEnv } from "./env.js";
import type { ServeOptions } from "./options.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function serve(serveOptions: ServeOptions = {}) {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge() }),
    joinCall: async () => {},
    logger: silentLogger,
  });
  const app = buildServer(launcher, serveOptions);
  apps.push(app);
  return app;
}

const preflight = (origin: string, method = "POST", headers = "content-type,x-api-key") => ({
  method: "OPTIONS" as const,
  url: "/sessions",
  headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
});

describe("CORS defaults: any origin, any method and header, credentials allowed", () => {
  it("answers a preflight with the request's origin reflected (credentials forbid `*`)", async () => {
    const app = serve();
    const res = await app.inject(preflight("https://app.example.com"));
    expect(res.statusCode).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-allow-methods"]).toBe("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
    expect(res.headers["access-control-allow-headers"]).toBe("content-type,x-api-key");
    expect(res.headers["access-control-max-age"]).toBe("600");
    expect(res.headers.vary).toContain("Origin");
  });

  it("a simple request gets `*`, or its origin when it carries cookies", async () => {
    const app = serve();
    const plain = await app.inject({ method: "GET", url: "/health", headers: { origin: "https://a.com" } });
    expect(plain.headers["access-control-allow-origin"]).toBe("*");
    expect(plain.headers["access-control-allow-credentials"]).toBe("true");
    const withCookie = await app.inject({
      method: "POST",
      url: "/sessions",
      payload: { call_id: "c" },
      headers: { origin: "https://a.com", cookie: "sid=1" },
    });
    expect(withCookie.statusCode).toBe(201);
    expect(withCookie.headers["access-control-allow-origin"]).toBe("https://a.com");
    expect(withCookie.headers.vary).toContain("Origin");
  });

  it("errors and 404s carry the CORS headers too, so the browser can read them", async () => {
    const app = serve();
    const res = await app.inject({
      method: "GET",
      url: "/sessions/unknown",
      headers: { origin: "https://a.com" },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    const missing = await app.inject({
      method: "GET",
      url: "/nowhere",
      headers: { origin: "https://a.com" },
    });
    expect(missing.headers["access-control-allow-origin"]).toBe("*");
  });

  it("requests without an Origin get no CORS headers", async () => {
    const app = serve();
    const res = await app.inject({ method: "GET", url: "/health" });
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("CORS overrides", () => {
  it("a list of origins: allowed ones are reflected, others refused at preflight", async () => {
    const app = serve({ corsAllowOrigins: ["https://a.com", "https://b.com"], corsAllowCredentials: false });
    const ok = await app.inject(preflight("https://b.com"));
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe("https://b.com");
    expect(ok.headers["access-control-allow-credentials"]).toBeUndefined();
    const refused = await app.inject(preflight("https://evil.com"));
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toBe("Disallowed CORS origin");
    expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
    const simple = await app.inject({
      method: "GET",
      url: "/health",
      headers: { origin: "https://evil.com" },
    });
    expect(simple.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("`*` origins without credentials answer `*`", async () => {
    const app = serve({ corsAllowCredentials: false });
    const res = await app.inject(preflight("https://a.com"));
    expect(res.headers["access-control-allow-origin"]).toBe("*");
  });

  it("limited methods and headers refuse others at preflight", async () => {
    const app = serve({ corsAllowMethods: ["GET", "POST"], corsAllowHeaders: ["X-API-Key"] });
    expect((await app.inject(preflight("https://a.com", "POST", "x-api-key, content-type"))).statusCode).toBe(
      200,
    );
    const badMethod = await app.inject(preflight("https://a.com", "DELETE", "x-api-key"));
    expect(badMethod.statusCode).toBe(400);
    expect(badMethod.body).toBe("Disallowed CORS method");
    const badHeader = await app.inject(preflight("https://a.com", "POST", "x-other"));
    expect(badHeader.body).toBe("Disallowed CORS headers");
  });

  it("serveOptionsFromEnv reads the CORS variables (lists as JSON or comma-separated)", async () => {
    const fromEnv = serveOptionsFromEnv({
      CORS_ALLOW_ORIGINS: "https://a.com, https://b.com",
      CORS_ALLOW_METHODS: '["GET","POST"]',
      CORS_ALLOW_HEADERS: "x-api-key",
      CORS_ALLOW_CREDENTIALS: "false",
    });
    expect(fromEnv).toEqual({
      corsAllowOrigins: ["https://a.com", "https://b.com"],
      corsAllowMethods: ["GET", "POST"],
      corsAllowHeaders: ["x-api-key"],
      corsAllowCredentials: false,
    });
    const app = serve(fromEnv);
    expect((await app.inject(preflight("https://a.com", "POST", "x-api-key"))).statusCode).toBe(200);
    expect((await app.inject(preflight("https://c.com", "POST", "x-api-key"))).statusCode).toBe(400);
    expect(serveOptionsFromEnv({})).toEqual({});
  });

  it.each([
    ["CORS_ALLOW_ORIGINS", "[not json"],
    ["CORS_ALLOW_ORIGINS", "[1, 2]"],
    ["CORS_ALLOW_METHODS", ",,"],
    ["CORS_ALLOW_CREDENTIALS", "maybe"],
  ])("a malformed %s=%s is a one-line error naming the variable", (name, value) => {
    expect(() => serveOptionsFromEnv({ [name]: value })).toThrow(
      expect.objectContaining({
        name: "ConfigError",
        message: expect.stringMatching(new RegExp(`^invalid ${name}=[^\\n]*$`)),
      }),
    );
  });
});
