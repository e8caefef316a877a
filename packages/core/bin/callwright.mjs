#!/usr/bin/env node
// The `callwright` command (`npx callwright init my-agent`): the TypeScript source through tsx
// inside the callwright repository (so an edit takes effect without a build), the built CLI when
// the package is installed. tsconfig.build.json is not published: it marks the repository.
import { existsSync } from "node:fs";

const inRepo = existsSync(new URL("../tsconfig.build.json", import.meta.url));
let cli;
if (inRepo) {
  const { tsImport } = await import("tsx/esm/api");
  cli = await tsImport("../src/scaffold/cli.ts", import.meta.url);
} else {
  cli = await import(new URL("../dist/scaffold/cli.js", import.meta.url).href);
}
process.exitCode = await cli.callwrightCli(process.argv);
