// `npm start`: starts the default example agent's server with its defaults and says where to go.
// Options after `--` are passed to `serve` (npm start -- --port 9000).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
process.stdout.write(
  "callwright: starting the default agent server (examples/local-voice/agent.ts serve)\n" +
    "callwright: open the printed address in a browser; the API docs are at /docs; Ctrl+C stops it\n",
);
const child = spawn(
  process.execPath,
  ["--conditions=source", "--import", "tsx", "examples/local-voice/agent.ts", "serve", ...args],
  // Its own process group: Ctrl+C reaches only us and is forwarded once, so a second Ctrl+C
  // is a second signal to the server (which then exits at once).
  { cwd: root, stdio: "inherit", detached: true },
);
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal === null ? 1 : 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal] ?? 0)));
});
