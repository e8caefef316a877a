import { readFileSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CallwrightError, ConfigError } from "../errors/index.js";

/** Where the template files live, from the source (`src/scaffold/`) and the build (`dist/scaffold/`) alike. */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../src/scaffold/templates/", import.meta.url));

/** The template files and the names they get in the project (dotfiles are stored without the dot: npm drops some). */
const TEMPLATE_FILES: readonly { from: string; to: string }[] = [
  { from: "agent.ts", to: "agent.ts" },
  { from: "assistant.ts", to: "assistant.ts" },
  { from: "assistant.test.ts", to: "assistant.test.ts" },
  { from: "tsconfig.json", to: "tsconfig.json" },
  { from: "Dockerfile", to: "Dockerfile" },
  { from: "_dockerignore", to: ".dockerignore" },
  { from: "_gitignore", to: ".gitignore" },
  { from: "_env.example", to: ".env.example" },
  { from: "README.md", to: "README.md" },
];

/** Every file `init` writes, in the project. */
export const INIT_FILES: readonly string[] = ["package.json", ...TEMPLATE_FILES.map((f) => f.to)];

export interface InitOptions {
  /** The project's npm name. Default the directory's name, made a valid npm name. */
  name?: string;
}

export interface InitResult {
  /** The project directory, absolute. */
  dir: string;
  name: string;
  /** The files written, relative to `dir`. */
  files: string[];
}

/** `init` found files it would overwrite; nothing was written. */
export class InitConflictError extends CallwrightError {
  readonly existing: readonly string[];

  constructor(dir: string, existing: readonly string[]) {
    super(
      `${dir} already has ${existing.join(", ")}: init never overwrites files. ` +
        "Pick a new directory (callwright init my-agent) or move those files away.",
      { code: "init_conflict", fault: "user" },
    );
    this.name = "InitConflictError";
    this.existing = existing;
  }
}

/** This package's version: the version the new project depends on. */
function callwrightVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** `My Agent!` → `my-agent`; empty → `my-agent`. */
export function npmName(raw: string): string {
  const name = raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "")
    .slice(0, 214);
  return name.length > 0 ? name : "my-agent";
}

function packageJson(name: string, version: string): string {
  const range = `^${version}`;
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: ">=20.19" },
    scripts: {
      start: "tsx agent.ts run",
      serve: "tsx agent.ts serve",
      test: "vitest run",
      build: "tsc -p tsconfig.json",
      typecheck: "tsc --noEmit -p tsconfig.json",
    },
    dependencies: {
      "@callwright/local": range,
      "@callwright/openai": range,
      callwright: range,
    },
    // onnxruntime-node's install script fetches CUDA libraries the CPU-only VAD never uses.
    allowScripts: { "onnxruntime-node": false },
    devDependencies: {
      "@types/node": "^20.19.0",
      tsx: "^4.20.0",
      typescript: "^5.9.0",
      vitest: "^4.0.0",
    },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Writes a ready project into `dir` (created if needed): `agent.ts` (the quick start on the
 * local stack, the cloud stack commented in), `assistant.ts` and its test, `package.json` with
 * `start`/`serve`/`test` scripts, `tsconfig.json`, `.env.example`, a Dockerfile, `.gitignore`,
 * `.dockerignore` and a README. Never overwrites: when any of those files exists, it throws an
 * InitConflictError listing them and writes nothing.
 */
export async function init(dir: string, options: InitOptions = {}): Promise<InitResult> {
  if (typeof dir !== "string" || dir.trim() === "") throw new ConfigError("init needs a directory");
  const root = resolve(dir);
  const name = options.name === undefined ? npmName(basename(root)) : options.name;
  if (name !== npmName(name)) {
    throw new ConfigError(`invalid project name '${name}': use lowercase letters, digits and - . _ ~`);
  }
  const existing: string[] = [];
  for (const file of INIT_FILES) if (await exists(join(root, file))) existing.push(file);
  if (existing.length > 0) throw new InitConflictError(root, existing);

  const contents = new Map<string, string>([["package.json", packageJson(name, callwrightVersion())]]);
  for (const { from, to } of TEMPLATE_FILES) {
    const text = await readFile(join(TEMPLATES_DIR, from), "utf8");
    contents.set(to, text.replaceAll("{{name}}", name));
  }
  await mkdir(root, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of contents) {
    // "wx": fail rather than overwrite a file that appeared since the check.
    await writeFile(join(root, file), text, { flag: "wx" });
    written.push(file);
  }
  return { dir: root, name, files: written };
}
