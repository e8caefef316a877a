// Runs a synthesiser binary (never through a shell: text and options are arguments, stdin or
// files, not shell words) and streams its stdout. Abort and an early `return()` kill the child by
// the PID we spawned.
import { spawn } from "node:child_process";
import { CallwrightError, ProviderError } from "callwright";

export interface ChildOptions {
  /** Written to stdin, then stdin is closed. Without it stdin is /dev/null. */
  input?: string;
  signal: AbortSignal;
  /** The Debian install command for the binary, for the error when it is missing. */
  installHint: string;
  /** stderr text that means failure although the exit status is 0 (festival exits 0 on errors). */
  failurePattern?: RegExp;
}

/** Yields the child's stdout as it comes; throws when it cannot start, fails, or is aborted. */
export async function* childOutput(
  binary: string,
  args: string[],
  options: ChildOptions,
): AsyncGenerator<Uint8Array> {
  options.signal.throwIfAborted();
  const child = spawn(binary, args, {
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  options.signal.addEventListener("abort", kill, { once: true });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    if (stderr.length < 4000) stderr += text;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  // Read after stdout ends; until then a failure to start must not count as unhandled.
  exited.catch(() => undefined);
  if (options.input !== undefined && child.stdin !== null) {
    // A child that dies before reading its input reports that through its exit status.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input);
  }
  try {
    for await (const chunk of child.stdout!) yield chunk as Uint8Array;
    let code: number | null;
    try {
      code = await exited;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") {
        throw new CallwrightError(
          `local TTS: ${binary} is not installed. Install it with: ${options.installHint}`,
          {
            code: "tts_engine_missing",
            fault: "user",
            cause,
          },
        );
      }
      throw cause;
    }
    options.signal.throwIfAborted();
    const message = stderr.trim();
    if (code !== 0 || (options.failurePattern?.test(message) ?? false)) {
      throw new ProviderError(`local TTS: ${binary} failed (exit ${code}): ${message.slice(0, 500)}`, {
        provider: "local",
      });
    }
  } finally {
    options.signal.removeEventListener("abort", kill);
    kill();
  }
}
