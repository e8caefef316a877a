#!/usr/bin/env node
// The `callwright` command (`npx callwright init my-agent`): the built CLI when the package is
// installed, the TypeScript source through tsx inside the callwright repository.
import { existsSync } from "node:fs";

const built = new URL("../dist/scaffold/cli.js", import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  const { tsImport } = await import("tsx/esm/api");
  cli = await tsImport("../src/scaffold/cli.ts", import.meta.url);
}
process.exitCode = await cli.callwrightCli(process.argv);
