// bench/cluster: session start throughput (POST /sessions → 201) with one node, then two nodes,
// on one Redis (the shared one at 127.0.0.1:6379 under a fresh prefix). Fake agents (no models),
// per-call limit on (every start runs the Lua admission), a new call id per start; requests spread
// round-robin over the nodes with a fixed number in flight, for a bounded time (4 s per figure).
// Also one node on the in-memory registry, for the cost of Redis admission. Prints one line:
//   cluster: starts/s 1 node N | 2 nodes N (xN) | p50/p99 ms ... | 1 node in-memory N | ...

import { randomUUID } from "node:crypto";
import http from "node:http";
import { Redis } from "ioredis";
import { type ServeNode, startNode } from "../test/e2e/helpers/cluster-nodes.js";
import { percentile } from "./_stats.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_S ?? 4) * 1000;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";

function post(agent: http.Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Starts as many sessions as it can in DURATION_MS with IN_FLIGHT requests outstanding. */
async function measure(
  nodes: readonly ServeNode[],
  durationMs = DURATION_MS,
): Promise<{ perS: number; p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        const node = nodes[next++ % nodes.length]!;
        const started = performance.now();
        const status = await post(agent, `${node.url}/sessions`, JSON.stringify({ call_id: randomUUID() }));
        if (status === 201) latencies.push(performance.now() - started);
        else failures += 1;
      }
    }),
  );
  const elapsedS = (performance.now() - t0) / 1000;
  agent.destroy();
  if (failures > 0) throw new Error(`${failures} starts did not answer 201`);
  latencies.sort((a, b) => a - b);
  return {
    perS: latencies.length / elapsedS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function redisRoundTripMs(): Promise<number> {
  const client = new Redis(REDIS_URL);
  try {
    await client.ping();
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) await client.ping();
    return (performance.now() - t0) / 200;
  } finally {
    client.disconnect();
  }
}

async function cleanup(prefix: string): Promise<void> {
  const admin = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [nextCursor, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = nextCursor;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== "0");
  } finally {
    admin.disconnect();
  }
}

async function run(count: number, prefix: string | null) {
  const env = {
    ...(prefix === null ? {} : { CALLWRIGHT_REDIS_URL: REDIS_URL, CALLWRIGHT_REDIS_PREFIX: prefix }),
    CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0",
    CALLWRIGHT_DRAIN_TIMEOUT_S: "0",
    CALLWRIGHT_MAX_SESSIONS_PER_CALL: "2",
  };
  const nodes = await Promise.all(
    Array.from({ length: count }, () => startNode({ env, args: ["--agents-log-level", "WARNING"] })),
  );
  try {
    for (const node of nodes) await measure([node], 500); // warm the JIT and the connections
    return await measure(nodes);
  } finally {
    for (const node of nodes) node.kill();
    await Promise.all(nodes.map((n) => n.exited));
    if (prefix !== null) await cleanup(prefix);
  }
}

const rtt = await redisRoundTripMs();
const memory = await run(1, null);
const one = await run(1, `cwbench-${randomUUID()}`);
const two = await run(2, `cwbench-${randomUUID()}`);
process.stdout.write(
  `cluster: starts/s 1 node ${one.perS.toFixed(0)} | 2 nodes ${two.perS.toFixed(0)} (x${(two.perS / one.perS).toFixed(2)}) | ` +
    `p50/p99 ms 1 node ${one.p50.toFixed(1)}/${one.p99.toFixed(1)}, 2 nodes ${two.p50.toFixed(1)}/${two.p99.toFixed(1)} | ` +
    `1 node in-memory ${memory.perS.toFixed(0)} | ${IN_FLIGHT} in flight, ${DURATION_MS / 1000} s each, fake agents, Redis RTT ${rtt.toFixed(2)} ms\n`,
);
