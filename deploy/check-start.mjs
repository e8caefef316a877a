// Checks the image's start command without a Docker engine: lays out a temporary directory as
// deploy/Dockerfile lays out /app (the packages compiled to dist/, the example compiled, only
// production dependencies: the lockfile's non-dev entries, which is what `npm prune --omit=dev`
// keeps), runs the Dockerfile's CMD there with its ENV, and checks /health, /ready, a session
// start and close, and a clean exit on SIGTERM. Prints one line; exits non-zero on failure.
//   node deploy/check-start.mjs [--keep]
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dockerfile = readFileSync(join(root, "deploy/Dockerfile"), "utf8");
const keep = process.argv.includes("--keep");
const t0 = performance.now();

function fail(message) {
  process.stderr.write(`check-start: FAILED: ${message}\n`);
  process.exit(1);
}

// ---- the image's layout
const app = mkdtempSync(join(tmpdir(), "callwright-image-"));
const skip = (src) => !/(^|\/)(node_modules|dist|coverage)(\/|$)/.test(src) && !src.endsWith(".test.ts");
for (const file of ["package.json", ".npmrc", "tsconfig.base.json"])
  cpSync(join(root, file), join(app, file));
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const dir of [...rootPackage.workspaces, "examples/local-voice"]) {
  cpSync(join(root, dir), join(app, dir), { recursive: true, filter: skip });
}
mkdirSync(join(app, "deploy"));
cpSync(join(root, "deploy/tsconfig.example.json"), join(app, "deploy/tsconfig.example.json"));

// node_modules linked from the repository's install: every entry of the lockfile for the build
// stage (npm ci), then only the production entries for the runtime (npm prune --omit=dev).
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const workspaces = Object.fromEntries(
  rootPackage.workspaces.map((dir) => [
    JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).name,
    dir,
  ]),
);
function linkModules({ dev }) {
  rmSync(join(app, "node_modules"), { recursive: true, force: true });
  mkdirSync(join(app, "node_modules/@callwright"), { recursive: true });
  for (const [name, dir] of Object.entries(workspaces))
    symlinkSync(join(app, dir), join(app, "node_modules", name));
  let count = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(path);
    if (m === null || (entry.dev === true && !dev) || entry.link === true || m[1] in workspaces) continue;
    const from = join(root, path);
    if (!existsSync(from)) continue; // optional, for another platform
    const to = join(app, path);
    mkdirSync(join(to, ".."), { recursive: true });
    symlinkSync(from, to);
    count += 1;
  }
  return count;
}
linkModules({ dev: true });

// ---- the build stage's compile steps (npm run build; tsc -p deploy/tsconfig.example.json)
const tsc = join(root, "node_modules/.bin/tsc");
const buildScript = JSON.parse(readFileSync(join(app, "package.json"), "utf8")).scripts.build;
for (const step of [...buildScript.split("&&"), "tsc -p deploy/tsconfig.example.json"]) {
  const args = step.trim().split(/\s+/);
  if (args[0] !== "tsc") fail(`unexpected build step '${step.trim()}'`);
  const r = spawnSync(tsc, args.slice(1), { cwd: app, encoding: "utf8" });
  if (r.status !== 0) fail(`'${step.trim()}' failed:\n${r.stdout}${r.stderr}`);
}
const buildS = (performance.now() - t0) / 1000;
const linked = linkModules({ dev: false });

// ---- the runtime stage's CMD and ENV, as written in the Dockerfile
const cmd = JSON.parse(/^CMD (\[.*\])\s*$/m.exec(dockerfile)?.[1] ?? "null");
if (!Array.isArray(cmd) || cmd[0] !== "node") fail("the Dockerfile's CMD is not an exec-form node command");
const env = { PATH: process.env.PATH, HOME: app };
for (const m of dockerfile.matchAll(/^ENV (\w+)=(\S+)\s*$/gm)) env[m[1]] = m[2];
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
// The one change: bind to loopback on a free port (the image binds 0.0.0.0:8000).
const args = cmd
  .slice(1)
  .map((a, i, all) => (all[i - 1] === "--port" ? String(port) : all[i - 1] === "--host" ? "127.0.0.1" : a));
const child = spawn(process.execPath, args, { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
let output = "";
child.stdout.on("data", (c) => (output += c));
child.stderr.on("data", (c) => (output += c));
const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
const base = `http://127.0.0.1:${port}`;

async function until(what, check, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) fail(`the server exited (${child.exitCode}) before ${what}:\n${output}`);
    try {
      if (await check()) return;
    } catch {}
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      fail(`no ${what} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  await until("/health 200", async () => (await fetch(`${base}/health`)).status === 200, 30_000);
  const startT = performance.now();
  await until("/ready 200", async () => (await fetch(`${base}/ready`)).status === 200, 60_000);
  const readyS = (performance.now() - startT) / 1000;
  const started = await fetch(`${base}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ call_id: "image-check" }),
  });
  if (started.status !== 201) fail(`POST /sessions answered ${started.status}: ${await started.text()}`);
  const { session_id: sessionId } = await started.json();
  const got = await fetch(`${base}/sessions/${sessionId}`);
  if (got.status !== 200) fail(`GET /sessions/{id} answered ${got.status}`);
  const closed = await fetch(`${base}/sessions/${sessionId}`, { method: "DELETE" });
  if (closed.status !== 202) fail(`DELETE answered ${closed.status}`);
  const metrics = await fetch(`${base}/metrics`);
  const metricsNote = metrics.status === 200 ? "/metrics 200" : `/metrics ${metrics.status}`;
  child.kill("SIGTERM");
  const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 15_000))]);
  if (end === null) {
    child.kill("SIGKILL");
    fail(`no exit within 15 s of SIGTERM:\n${output}`);
  }
  if (end.code !== 0) fail(`exit ${end.code ?? end.signal} after SIGTERM:\n${output}`);
  process.stdout.write(
    `check-start: OK: '${cmd.join(" ")}' (${linked} production packages, build ${buildS.toFixed(0)} s, ` +
      `ready in ${readyS.toFixed(1)} s; /health, /ready, POST/GET/DELETE session, ${metricsNote}, exit 0 on SIGTERM)\n`,
  );
} finally {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (keep) process.stdout.write(`check-start: kept ${app}\n`);
  else rmSync(app, { recursive: true, force: true });
}
