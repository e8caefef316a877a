// `run` with the Stream edge, as a user runs it: the agent process joins a call on FakeStream,
// prints the Stream demo-app link for it, and exits when the call ends; bad credentials stop it
// at warm-up with one line naming the variable.
import { FakeStream } from "@callwright/getstream/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentProcess, spawnAgent } from "./helpers/control-plane-process.js";

const FILE = "examples/stream-voice/agent.ts";
const spawned: AgentProcess[] = [];
const fakes: FakeStream[] = [];
afterEach(async () => {
  for (const p of spawned.splice(0)) p.kill();
  for (const f of fakes.splice(0)) await f.close();
});

describe("run with getstream.Edge", () => {
  it("prints the demo link for the call, joins it, and exits 0 when the call ends", async () => {
    const fake = await FakeStream.start();
    fakes.push(fake);
    const p = spawnAgent(
      ["run", "--no-demo", "--port", "0", "--call-id", "cli-call"],
      { ...fake.env, EXAMPLE_BASE_URL: "https://demo.example" },
      FILE,
    );
    spawned.push(p);
    const [line] = await p.waitFor(/callwright: open (\S+)/, 60_000);
    const url = new URL(line.replace(/^callwright: open /, ""));
    expect(`${url.origin}${url.pathname}`).toBe("https://demo.example/join/cli-call");
    expect(url.searchParams.get("api_key")).toBe(fake.apiKey);
    // The agent's log says it joined (SFU session, publisher and subscriptions set up).
    await p.waitFor(/"msg":"agent joined the Stream call"/, 30_000);
    expect(fake.sfu.publishingAudio("default:cli-call")).toEqual(["callwright-agent"]);
    fake.endCall("default", "cli-call");
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toMatch(/session ended/);
  }, 90_000);

  it("a wrong STREAM_API_SECRET stops it at warm-up with one line naming it", async () => {
    const fake = await FakeStream.start();
    fakes.push(fake);
    const p = spawnAgent(
      ["run", "--no-demo", "--port", "0"],
      { ...fake.env, STREAM_API_SECRET: "wrong" },
      FILE,
    );
    spawned.push(p);
    expect(await p.exited).toBe(1);
    const lines = p.stderr().trim().split("\n");
    expect(lines.at(-1)).toMatch(/^error: .*STREAM_API_SECRET does not match STREAM_API_KEY/);
  }, 90_000);
});
