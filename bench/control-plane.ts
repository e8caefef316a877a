// bench/control-plane: the HTTP control plane under load. The default example agent (fake
// agents on an in-process edge) runs `serve` in a child process; autocannon drives it from
// this one over a real socket, about 5 s per figure. Prints one line:
//   control-plane: GET /health N req/s | GET /sessions/{id} N req/s | POST /sessions p50 .. p99 .. | DELETE ..
// Targets: GET >= 15k req/s on one core; POST p50 <= 5 ms (agent creation excluded: fake agent).
import http from "node:http";
import { createRequire } from "node:module";
import { startServe } from "../test/e2e/helpers/control-plane-process.js";
import { percentile } from "./_stats.js";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
}) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);

function checked(name: string, result: AutocannonResult): AutocannonResult {
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
    );
  }
  return result;
}

function request(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method, agent, headers: body === undefined ? {} : { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const server = await startServe(["--http-log-level", "WARNING"], {
  CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0",
  CALLWRIGHT_DRAIN_TIMEOUT_S: "0",
});
try {
  const health = checked(
    "GET /health",
    await autocannon({ url: `${server.url}/health`, connections: 32, duration: DURATION_S }),
  );

  const started = await fetch(`${server.url}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ call_id: "bench-get" }),
  });
  const { session_id: id } = (await started.json()) as { session_id: string };
  const session = checked(
    "GET /sessions/{id}",
    await autocannon({ url: `${server.url}/sessions/${id}`, connections: 32, duration: DURATION_S }),
  );

  // POST then DELETE, in turn, on 4 keep-alive connections; each request timed with hrtime
  // (autocannon's latency histogram has whole-millisecond resolution, too coarse here).
  const post: number[] = [];
  const del: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const until = performance.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async (_, worker) => {
      while (performance.now() < until) {
        const t0 = process.hrtime.bigint();
        const created = await request(
          agent,
          server.url,
          "POST",
          "/sessions",
          `{"call_id":"bench-${worker}"}`,
        );
        const t1 = process.hrtime.bigint();
        if (created.status !== 201) throw new Error(`POST /sessions answered ${created.status}`);
        const id = (JSON.parse(created.body) as { session_id: string }).session_id;
        const closed = await request(agent, server.url, "DELETE", `/sessions/${id}`);
        const t2 = process.hrtime.bigint();
        if (closed.status !== 202) throw new Error(`DELETE answered ${closed.status}`);
        post.push(Number(t1 - t0) / 1e6);
        del.push(Number(t2 - t1) / 1e6);
      }
    }),
  );
  agent.destroy();

  const running = await fetch(`${server.url}/ready`);
  if (running.status !== 200) throw new Error(`the server is not ready after the bench (${running.status})`);
  const round = (n: number) => Math.round(n);
  console.log(
    `control-plane: GET /health ${round(health.requests.average)} req/s | ` +
      `GET /sessions/{id} ${round(session.requests.average)} req/s | ` +
      `POST /sessions p50 ${percentile(post, 50).toFixed(2)} ms p99 ${percentile(post, 99).toFixed(2)} ms | ` +
      `DELETE p50 ${percentile(del, 50).toFixed(2)} ms p99 ${percentile(del, 99).toFixed(2)} ms ` +
      `(${round(post.length / DURATION_S)} sessions/s)`,
  );
} finally {
  server.child.kill("SIGTERM");
  const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r("timeout"), 5_000))]);
  if (code === "timeout") server.kill();
}
