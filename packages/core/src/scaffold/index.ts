// Scaffold: `callwright init [dir]` writes a ready voice agent project from the templates beside
// this file (agent, assistant and its test, package.json, tsconfig, .env.example, Dockerfile).
export { type CliIo, callwrightCli } from "./cli.js";
export { INIT_FILES, InitConflictError, type InitOptions, type InitResult, init, npmName } from "./init.js";
