// server: the HTTP control plane: buildServer (the app `serve` runs) and the session API as an
// encapsulated Fastify plugin, with permissions, CORS and FastAPI-compatible errors.
export { type BuildServerOptions, buildServer } from "./build.js";
export { type CorsOptions, corsHook } from "./cors.js";
export { serveOptionsFromEnv } from "./env.js";
export { NOT_READY_DETAIL } from "./errors.js";
export {
  allowAll,
  defaultServeOptions,
  type Permission,
  type PermissionContext,
  type ServeOptions,
} from "./options.js";
export { BODY_LIMIT_BYTES, type CallwrightRoutesOptions, callwrightRoutes } from "./routes.js";
export { RequestValidationError, type ValidationIssue } from "./validation.js";
