// bench/getstream-join: how fast the agent is in a Stream call, against FakeStream on loopback.
// A person is already in the call, publishing; each join is timed from `edge.join()` (what
// joinCall's `agent.join` calls) to the agent publishing audio (its track's DTLS up) and subscribed
// to the person (the person's audio track reached the agent). Prints ONE line: p50 and max over
// 10 joins (after one unmeasured join), and where the p50 join's time went. Target p50 ≤ 150 ms.
// Bounded: 11 joins, 60 s at most.
import * as getstream from "@callwright/getstream";
import { FakeStream, ScriptedPerson } from "@callwright/getstream/testing";
import { silentLogger } from "callwright";
import { median, percentile } from "./_stats.js";

const JOINS = 10;
const deadline = setTimeout(() => {
  console.log("getstream-join: FAILED (did not finish within 60 s)");
  process.exit(1);
}, 60_000);

const fake = await FakeStream.start();
const edge = new getstream.Edge({ env: fake.env, bindAddress: "127.0.0.1" });
await edge.warmup();
const person = await ScriptedPerson.join({
  baseUrl: fake.baseUrl,
  apiKey: fake.apiKey,
  apiSecret: fake.apiSecret,
  callType: "default",
  callId: "bench",
  userId: "person",
});
await person.publishing();

interface Sample {
  totalMs: number;
  joinResponseMs: number;
  joinReturnedMs: number;
}
const samples: Sample[] = [];
for (let i = 0; i <= JOINS; i++) {
  const started = performance.now();
  const connection = (await edge.join(
    { type: "default", id: "bench" },
    { agentUser: { id: "agent", name: "Agent" }, signal: new AbortController().signal, logger: silentLogger },
  )) as getstream.StreamEdgeConnection;
  const joinReturnedMs = performance.now() - started;
  const session = connection.session!;
  const personSession = person.session.sessionId;
  while (!(session.isPublishing && session.isSubscribedTo(personSession))) {
    if (performance.now() - started > 10_000) {
      console.log("getstream-join: FAILED (not publishing and subscribed within 10 s)");
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const totalMs = performance.now() - started;
  if (i > 0) samples.push({ totalMs, joinResponseMs: session.joinResponseMs ?? Number.NaN, joinReturnedMs });
  await connection.close();
  await new Promise((r) => setTimeout(r, 50));
}
const totals = samples.map((s) => s.totalMs);
const p50 = median(totals);
const mid = samples.find((s) => s.totalMs === p50)!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
console.log(
  `getstream-join: join → publishing + subscribed p50 ${fmt(p50)} (max ${fmt(percentile(totals, 100))}; target ≤ 150 ms) ` +
    `[p50 join: SFU socket + JoinResponse ${fmt(mid.joinResponseMs)}, edge.join() returned at ${fmt(mid.joinReturnedMs)}] ` +
    `over ${JOINS} joins, FakeStream + node-datachannel on loopback`,
);
person.leave();
await edge.close();
await fake.close();
clearTimeout(deadline);
process.exit(0);
