// runner: the command line of an agent file: `serve` (the HTTP server that starts agent
// sessions on demand) and `run` (one agent in one call now), with signals and exit codes.
export {
  defaultRunCommandOptions,
  defaultServeCommandOptions,
  type RunCommandOptions,
  type ServeCommandOptions,
} from "./options.js";
export { type LauncherSource, Runner, type RunnerOptions } from "./runner.js";
