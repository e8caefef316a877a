// `npx callwright init` as a user runs it: the bin writes a project into a temp dir, the project
// gets its dependencies from this workspace (symlinks in its node_modules, as `npm install` of
// the published packages would give; offline), and `npm run serve` from it answers /health, warms
// the local stack up and starts a session. The server is stopped by the process group we spawned.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { http, REPO_ROOT } from "./helpers/cluster-nodes.js";

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What `npm install` would put in node_modules, linked from this workspace. */
async function installFromWorkspace(project: string): Promise<void> {
  const modules = join(project, "node_modules");
  await mkdir(join(modules, "@callwright"), { recursive: true });
  await mkdir(join(modules, ".bin"));
  await symlink(join(REPO_ROOT, "packages/core"), join(modules, "callwright"));
  await symlink(join(REPO_ROOT, "packages/local"), join(modules, "@callwright/local"));
  await symlink(join(REPO_ROOT, "packages/openai"), join(modules, "@callwright/openai"));
  for (const tool of ["tsx", "typescript", "vitest"]) {
    await symlink(join(REPO_ROOT, "node_modules", tool), join(modules, tool));
  }
  await symlink("../tsx/dist/cli.mjs", join(modules, ".bin/tsx"));
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = out.match(pattern);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${pattern}:\n${out}`));
    });
  });
}

describe("callwright init", () => {
  it("writes a project whose `npm run serve` starts, warms up, takes a session and stops on SIGTERM", async () => {
    const parent = await mkdtemp(join(tmpdir(), "callwright-init-e2e-"));
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    const bin = join(REPO_ROOT, "packages/core/bin/callwright.mjs");
    const { stdout } = await run(process.execPath, [bin, "init", "voice-bot"], {
      cwd: parent,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    expect(stdout).toContain("wrote 10 files into voice-bot");
    const project = join(parent, "voice-bot");
    const pkg = JSON.parse(await readFile(join(project, "package.json"), "utf8"));
    expect(pkg.name).toBe("voice-bot");

    await installFromWorkspace(project);
    // The workspace packages are TypeScript sources (no dist/ here): the "source" condition picks
    // them, where a published install would use dist/.
    const server = spawn(
      "npm",
      ["run", "serve", "--", "--host", "127.0.0.1", "--port", "0", "--agents-log-level", "WARNING"],
      {
        cwd: project,
        env: { ...process.env, NODE_OPTIONS: "--conditions=source" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // its own process group: npm, tsx and the server are stopped together
      },
    );
    let output = "";
    server.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
    cleanups.push(async () => {
      if (server.exitCode === null && server.signalCode === null) {
        process.kill(-server.pid!, "SIGKILL");
        await exited;
      }
    });

    const ready = waitForOutput(server, /callwright: ready/, 60_000);
    const [, url] = await waitForOutput(server, /listening on (http:\/\/\S+)/, 30_000);
    expect((await http("GET", `${url}/health`)).status).toBe(200);
    await ready;
    expect((await http("GET", `${url}/ready`)).status).toBe(200);

    const started = await http("POST", `${url}/sessions`, { call_id: "init-check" });
    expect(started.status, started.text).toBe(201);
    const id = (started.body as { session_id: string }).session_id;
    expect((await http("GET", `${url}/sessions/${id}`)).status).toBe(200);
    expect((await http("DELETE", `${url}/sessions/${id}`)).status).toBe(202);

    // SIGTERM to the group (npm passes on, the server drains): the server says it stopped.
    process.kill(-server.pid!, "SIGTERM");
    await exited;
    // nothing of the group is left running (npm may exit before the server has finished writing)
    await vi.waitFor(() => expect(() => process.kill(-server.pid!, 0)).toThrow(/ESRCH/), { timeout: 5_000 });
    await vi.waitFor(() => expect(output).toContain("callwright: stopped"), { timeout: 2_000 });
  });
});
