import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { InitConflictError, init } from "./init.js";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
}

const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  cwd: process.cwd(),
};

/**
 * The `callwright` command (`npx callwright init my-agent`). Resolves with the exit code: 0, or
 * 1 with one line on stderr (files that would be overwritten, a bad option).
 */
export async function callwrightCli(
  argv: readonly string[] = process.argv,
  io: CliIo = processIo,
): Promise<number> {
  let code = 0;
  const program = new Command("callwright")
    .description("callwright: real-time voice AI agents that join calls")
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command("init")
    .description("Write a ready voice agent project (agent.ts, tests, package.json, Dockerfile...)")
    .argument("[dir]", "where to write it (created if needed)", ".")
    .option("--name <name>", "the npm package name (default: the directory's name)")
    .action(async (dir: string, options: { name?: string }) => {
      try {
        const result = await init(
          resolve(io.cwd, dir),
          options.name === undefined ? {} : { name: options.name },
        );
        // Where the files are, as the user would type it: relative when inside cwd, else absolute.
        const rel = relative(io.cwd, result.dir);
        const where = rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? result.dir : rel;
        io.out(`callwright: wrote ${result.files.length} files into ${where}:`);
        for (const file of result.files) io.out(`  ${file}`);
        io.out("");
        io.out("Next:");
        if (where !== ".") io.out(`  cd ${where}`);
        io.out("  npm install");
        io.out("  npm start        # talk to your agent in the browser");
        io.out("  npm run serve    # the HTTP service (POST /sessions)");
        io.out("  npm test");
      } catch (error) {
        code = 1;
        if (error instanceof InitConflictError) {
          io.err(`error: init never overwrites files; these exist already: ${error.existing.join(", ")}`);
        } else {
          io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return code;
}
