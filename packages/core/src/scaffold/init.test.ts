import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { callwrightCli } from "./cli.js";
import { INIT_FILES, InitConflictError, init, npmName } from "./init.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "callwright-init-"));
  dirs.push(dir);
  return dir;
}

function captureIo(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), cwd }, out, err };
}

describe("init", () => {
  it("writes a ready project named after its directory", async () => {
    const parent = await tempDir();
    const result = await init(join(parent, "My Agent"));
    expect(result.name).toBe("my-agent");
    expect(result.files.sort()).toEqual([...INIT_FILES].sort());
    expect((await readdir(result.dir)).sort()).toEqual([...INIT_FILES].sort());

    const pkg = JSON.parse(await readFile(join(result.dir, "package.json"), "utf8"));
    expect(pkg).toMatchObject({ name: "my-agent", type: "module", private: true });
    expect(pkg.scripts).toMatchObject({
      start: "tsx agent.ts run",
      serve: "tsx agent.ts serve",
      test: "vitest run",
    });
    expect(Object.keys(pkg.dependencies)).toEqual(["@callwright/local", "@callwright/openai", "callwright"]);
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(["tsx", "vitest", "typescript"]));

    const agent = await readFile(join(result.dir, "agent.ts"), "utf8");
    for (const part of ["new local.Edge()", "new local.STT(", "new local.TTS()", "new local.VAD()"]) {
      expect(agent).toContain(part);
    }
    expect(agent).toContain("new local.OfflineLLM()");
    expect(agent).toContain("// import * as gemini");
    expect(agent).toContain(".cli()");
    expect(await readFile(join(result.dir, "assistant.ts"), "utf8")).toContain("local.currentTimeTool");
    expect(await readFile(join(result.dir, "README.md"), "utf8")).toContain("# my-agent");
    const docker = await readFile(join(result.dir, "Dockerfile"), "utf8");
    expect(docker).toContain("USER node");
    expect(docker).toContain('CMD ["node", "dist/agent.js", "serve"');
  });

  it("lists every CALLWRIGHT_* variable the code reads, and the OPENAI_* ones, in .env.example", async () => {
    const dir = await tempDir();
    await init(dir, { name: "agent" });
    const example = await readFile(join(dir, ".env.example"), "utf8");
    const used = new Set<string>();
    for (const pkg of ["core", "local", "openai"]) {
      const root = join(import.meta.dirname, "..", "..", "..", pkg, "src");
      for (const file of await readdir(root, { recursive: true })) {
        if (!file.endsWith(".ts") || file.endsWith(".test.ts") || file.includes("templates")) continue;
        const text = await readFile(join(root, file), "utf8");
        for (const match of text.matchAll(
          /\b(CALLWRIGHT_[A-Z0-9_]*[A-Z0-9]|OPENAI_(?:API_KEY|BASE_URL|MODEL|ORG_ID))\b/g,
        )) {
          used.add(match[1]!);
        }
      }
    }
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(example, name).toMatch(new RegExp(`^# ${name}=`, "m"));
  });

  it("refuses to overwrite: lists the files that exist and writes nothing", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "agent.ts"), "// mine\n");
    await writeFile(join(dir, "package.json"), "{}\n");
    const error = await init(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InitConflictError);
    expect((error as InitConflictError).existing).toEqual(["package.json", "agent.ts"]);
    expect(await readdir(dir)).toEqual(["agent.ts", "package.json"]);
    expect(await readFile(join(dir, "agent.ts"), "utf8")).toBe("// mine\n");
  });

  it("makes npm names", () => {
    expect(npmName("My Agent!")).toBe("my-agent");
    expect(npmName("_x")).toBe("x");
    expect(npmName("  ")).toBe("my-agent");
    expect(npmName("voice.bot-2")).toBe("voice.bot-2");
  });
});

describe("callwright init (the command)", () => {
  it("writes the project and says what to do next; exits 1 listing the files on a second run", async () => {
    const cwd = await tempDir();
    const first = captureIo(cwd);
    expect(await callwrightCli(["node", "callwright", "init", "bot"], first.io)).toBe(0);
    expect(first.out.join("\n")).toContain(`wrote ${INIT_FILES.length} files into bot`);
    expect(first.out).toContain("  cd bot");
    expect(await readdir(join(cwd, "bot"))).toContain("agent.ts");

    const second = captureIo(cwd);
    expect(await callwrightCli(["node", "callwright", "init", "bot"], second.io)).toBe(1);
    expect(second.err.join("\n")).toMatch(
      /never overwrites files; these exist already: package\.json, agent\.ts/,
    );
  });

  it("refuses a bad name and an unknown command with exit code 1", async () => {
    const cwd = await tempDir();
    const bad = captureIo(cwd);
    expect(await callwrightCli(["node", "callwright", "init", "x", "--name", "Bad Name"], bad.io)).toBe(1);
    expect(bad.err.join("\n")).toMatch(/invalid project name/);
    const unknown = captureIo(cwd);
    expect(await callwrightCli(["node", "callwright", "frobnicate"], unknown.io)).toBe(1);
  });
});
