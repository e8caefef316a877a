import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Opens `url` in the desktop's browser (xdg-open, open, start). Returns false, doing nothing,
 * on a headless machine (Linux without DISPLAY or WAYLAND_DISPLAY) or without an opener.
 */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  let command: string | undefined;
  let args: string[];
  if (process.platform === "darwin") {
    command = "open";
    args = [url];
  } else if (process.platform === "win32") {
    command = "cmd";
    args = ["/c", "start", "", url];
  } else {
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
    command = onPath("xdg-open", env);
    args = [url];
  }
  if (command === undefined) return false;
  const child = spawn(command, args, { stdio: "ignore", detached: true });
  child.on("error", () => undefined); // a missing opener is not worth more than the printed URL
  child.unref();
  return true;
}
