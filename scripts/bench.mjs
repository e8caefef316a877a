// Runs the benchmarks in bench/ one after another (each prints one comparable line).
//   npm run bench                 all of them
//   npm run bench -- turn-latency only bench/turn-latency.ts
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../bench/", import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();
const names = wanted.length ? wanted : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`bench: no bench/${name}.ts (have: ${all.join(", ")})`);
    process.exit(2);
  }
  const r = spawnSync("npx", ["tsx", `bench/${name}.ts`], {
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=source` },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
