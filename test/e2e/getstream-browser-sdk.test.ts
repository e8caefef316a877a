// The best evidence FakeStream speaks Stream's protocol: Stream's own browser SDK
// (@stream-io/video-client, bundled into a page) joins a FakeStream call as the person, in headless
// Chromium with a flite WAV as its microphone, while the agent is in the call on getstream.Edge.
// The SDK's coordinator WebSocket, REST join, SFU signalling (its JoinRequest, health checks),
// Twirp in JSON, publisher offer with Chrome's SDP and trickled candidates, subscriber offer and
// msid mapping all run against the fake unmodified.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import * as getstream from "@callwright/getstream";
import { FakeStream } from "@callwright/getstream/testing";
import { type AudioFrame, type EdgeConnection, frameRms, silentLogger } from "callwright";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { browserSkipReason, launchChromium, speechWav } from "./helpers/local-edge-harness.js";

const skip = browserSkipReason();
if (skip !== undefined) console.log(`skip: Stream browser SDK against FakeStream: ${skip}`);

interface PersonApi {
  log: string[];
  join(args: Record<string, string>): Promise<string>;
  participants(): { userId: string; name: string; sessionId: string; publishesAudio: boolean }[];
  listenTo(sessionId: string): boolean;
  inboundAudio(): Promise<{ packetsReceived: number; totalAudioEnergy: number }>;
  leave(): Promise<void>;
}
const person = (page: Page) => ({
  call: <R>(fn: (p: PersonApi, arg: never) => R | Promise<R>, arg?: unknown) =>
    page.evaluate(
      ([source, a]) =>
        new Function("p", "a", `return (${source})(p, a)`)(
          (window as never as { person: PersonApi }).person,
          a,
        ),
      [fn.toString(), arg] as const,
    ) as Promise<R>,
});

describe.skipIf(skip !== undefined)("Stream's browser SDK against FakeStream", () => {
  let fake: FakeStream;
  let edge: getstream.Edge;
  let pages: Server;
  let browser: Browser;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("./helpers/stream-sdk-page.ts", import.meta.url))],
      bundle: true,
      format: "iife",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const script = bundle.outputFiles[0]!.text;
    pages = createServer((req, res) => {
      if (req.url === "/person.js") {
        res.writeHead(200, { "content-type": "text/javascript" });
        res.end(script);
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<!doctype html><html><body><script src="/person.js"></script></body></html>');
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", () => resolve()));
    fake = await FakeStream.start();
    edge = new getstream.Edge({ env: fake.env, bindAddress: "127.0.0.1" });
    browser = await launchChromium(
      speechWav("Hello agent, this is the browser speaking.", "stream-sdk-person", 1),
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.close();
    await fake?.close();
    pages?.close();
  });

  test("the SDK's person joins, is heard by the agent, hears the agent, and leaves", async () => {
    const connection: EdgeConnection = await edge.join(
      { type: "default", id: "sdk-call" },
      {
        agentUser: { id: "agent", name: "Assistant" },
        signal: new AbortController().signal,
        logger: silentLogger,
      },
    );
    const events: string[] = [];
    const heard: AudioFrame[] = [];
    connection.on("participant_joined", (p) => events.push(`joined:${p.name}`));
    connection.on("participant_left", (p, reason) => events.push(`left:${p.name}:${reason}`));
    connection.on("audio", (_id, frame) => heard.push(frame));

    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pages.address() as AddressInfo).port}/`);
    const p = person(page);
    const joined = await p.call((api, args) => api.join(args), {
      apiKey: fake.apiKey,
      token: new getstream.StreamTokens(fake.apiSecret).user("browser-person"),
      userId: "browser-person",
      name: "Browser Person",
      baseURL: `${fake.baseUrl}/video`,
      callType: "default",
      callId: "sdk-call",
    });
    expect(joined, (await p.call((api) => api.log)).join("\n")).toBe("ok");

    // The agent sees the SDK's participant and hears its microphone (flite speech).
    await expect.poll(() => events, { timeout: 10_000 }).toContain("joined:Browser Person");
    await expect.poll(() => Math.max(0, ...heard.map(frameRms)), { timeout: 10_000 }).toBeGreaterThan(0.02);

    // The SDK sees the agent (from its JoinResponse or participant_joined) and plays its voice.
    await expect
      .poll(() => p.call((api) => api.participants().map((x) => `${x.userId}:${x.publishesAudio}`)), {
        timeout: 10_000,
      })
      .toEqual(["agent:true"]);
    const agentSession = (await p.call((api) => api.participants()))[0]!.sessionId;
    expect(await p.call((api, id) => api.listenTo(id), agentSession)).toBe(true);
    const before = await p.call((api) => api.inboundAudio());
    const tone: AudioFrame[] = Array.from({ length: 50 }, (_, f) => {
      const s = new Int16Array(960);
      for (let i = 0; i < 960; i++)
        s[i] = Math.round(9000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000));
      return { samples: s, sampleRateHz: 48000, channels: 1 };
    });
    for (const frame of tone) {
      connection.sendAudio(frame);
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect
      .poll(async () => (await p.call((api) => api.inboundAudio())).totalAudioEnergy, { timeout: 10_000 })
      .toBeGreaterThan(before.totalAudioEnergy + 0.01);
    // JSON Twirp from the SDK reached the fake (the agent uses protobuf).
    expect(fake.sfu.rpcs.some((r) => r.method === "SetPublisher" && r.encoding === "json")).toBe(true);

    await p.call((api) => api.leave());
    await expect.poll(() => events, { timeout: 10_000 }).toContain("left:Browser Person:left");
    await page.close();
    await connection.close();
  }, 60_000);
});
