// The signalling routes and the demo page through app.inject (a scripted WebRTC backend).
import type { RtcBackend, RtcPeer } from "@callwright/webrtc";
import { CHROME_OFFER } from "@callwright/webrtc/testing";
import { silentLogger } from "callwright";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, test } from "vitest";
import { Edge } from "./edge.js";
import { CallHub } from "./hub.js";

const backend: RtcBackend = {
  name: "scripted",
  async warmup() {},
  async answer(): Promise<RtcPeer> {
    return {
      answerSdp: "v=0\r\n",
      on: () => () => {},
      sendRtp: () => true,
      sendVideo: () => true,
      sendData: () => true,
      close: () => {},
    };
  },
};

let app: FastifyInstance | undefined;

async function build(options: { iceServers?: string[] } = {}) {
  const hub = new CallHub({
    backend,
    logger: silentLogger,
    callWaitMs: 0,
    webrtc: { iceServers: options.iceServers ?? [] },
  });
  const edge = new Edge({ hub });
  app = Fastify();
  const routes = edge.httpRoutes();
  await app.register(routes.plugin);
  await app.ready();
  return { app, hub, edge };
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe("local edge routes", () => {
  test("the demo page is served at / with its assets", async () => {
    const { app } = await build();
    const page = await app.inject({ method: "GET", url: "/?call_id=abc&autostart=1" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toContain('<script type="module" src="/local/static/app.js">');
    for (const [file, type] of [
      ["app.js", /javascript/],
      ["style.css", /text\/css/],
      ["favicon.svg", /svg/],
    ] as const) {
      const r = await app.inject({ method: "GET", url: `/local/static/${file}` });
      expect(r.statusCode).toBe(200);
      expect(r.headers["content-type"]).toMatch(type);
    }
    const missing = await app.inject({ method: "GET", url: "/local/static/..%2Fpackage.json" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: "Not Found" });
  });

  test("the page learns the ICE servers in the browser's form", async () => {
    const { app } = await build({ iceServers: ["turn:u:p@turn.example.org:3478"] });
    const r = await app.inject({ method: "GET", url: "/local/config" });
    expect(r.json()).toEqual({
      ice_servers: [{ urls: "turn:turn.example.org:3478", username: "u", credential: "p" }],
    });
  });

  test("an offer is answered; the call lists its agent", async () => {
    const { app, edge } = await build();
    await edge.createCall("default", "c 1");
    const r = await app.inject({
      method: "POST",
      url: "/local/calls/c%201/offer",
      payload: { type: "offer", sdp: CHROME_OFFER, name: "Ada", participant_id: "ada-1" },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ sdp: "v=0\r\n", type: "answer", participant_id: "ada-1" });
    expect(r.headers["server-timing"]).toMatch(/^answer;dur=\d+(\.\d)?$/);
    const call = await app.inject({ method: "GET", url: "/local/calls/c%201" });
    expect(call.json()).toEqual({ call_id: "c 1", call_type: "default", agents: 0, participants: [] });
  });

  test("bad offers: 422 for the body, 400 for the SDP, 404 for the call", async () => {
    const { app, edge } = await build();
    await edge.createCall("default", "c1");
    const post = (payload: unknown, url = "/local/calls/c1/offer") =>
      app.inject({ method: "POST", url, payload: payload as object });

    const noSdp = await post({ type: "offer" });
    expect(noSdp.statusCode).toBe(422);
    expect(noSdp.json().detail).toContainEqual({
      loc: ["body", "sdp"],
      msg: "a string is required",
      type: "string_type",
    });
    expect((await post({ type: "answer", sdp: CHROME_OFFER })).statusCode).toBe(422);
    expect((await post([1, 2])).statusCode).toBe(422);
    expect((await post({ type: "offer", sdp: CHROME_OFFER, name: "x".repeat(65) })).statusCode).toBe(422);

    const badJson = await app.inject({
      method: "POST",
      url: "/local/calls/c1/offer",
      headers: { "content-type": "application/json" },
      payload: "{nope",
    });
    expect(badJson.statusCode).toBe(400);
    expect(typeof badJson.json().detail).toBe("string");

    const malformed = await post({ type: "offer", sdp: "not sdp" });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ detail: "malformed SDP: it must start with 'v=0'" });
    const noAudio = await post({
      type: "offer",
      sdp: CHROME_OFFER.replace(/m=audio[\s\S]*?(?=m=application)/, ""),
    });
    expect(noAudio.statusCode).toBe(400);
    expect(noAudio.json().detail).toMatch(/no audio/);

    const unknown = await post({ type: "offer", sdp: CHROME_OFFER }, "/local/calls/nope/offer");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toMatch(/Call with id 'nope' not found/);
  });

  test("leave: 204 by POST (beacon) or DELETE, idempotent; 404 for an unknown call", async () => {
    const { app, edge } = await build();
    await edge.createCall("default", "c1");
    await app.inject({
      method: "POST",
      url: "/local/calls/c1/offer",
      payload: { type: "offer", sdp: CHROME_OFFER, participant_id: "p1" },
    });
    const leave = await app.inject({ method: "POST", url: "/local/calls/c1/participants/p1/leave" });
    expect(leave.statusCode).toBe(204);
    const again = await app.inject({ method: "DELETE", url: "/local/calls/c1/participants/p1" });
    expect(again.statusCode).toBe(204);
    const unknown = await app.inject({ method: "POST", url: "/local/calls/zz/participants/p1/leave" });
    expect(unknown.statusCode).toBe(404);
  });

  test("demoUrl points at the page for the call", () => {
    const edge = new Edge({ hub: new CallHub({ backend }) });
    expect(edge.demoUrl({ type: "default", id: "a b" }, "http://127.0.0.1:8000/")).toBe(
      "http://127.0.0.1:8000/?call_id=a%20b",
    );
    // Without a call (what `serve` prints), the page that starts its own session.
    expect(edge.demoUrl(undefined, "http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000/");
  });
});
