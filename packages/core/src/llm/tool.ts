import type { ToolSpec } from "@callwright/spec";
import { z } from "zod";
import type { Logger } from "../log/index.js";

/** What a tool's `execute` gets besides its arguments. */
export interface ToolContext {
  /** Aborted when the user interrupts or the session closes: stop work and return. */
  signal: AbortSignal;
  logger: Logger;
  /** The tool call's id, as the model gave it. */
  toolCallId: string;
}

/** A function the LLM may call. Arguments are validated against `parameters` before `execute`. */
export interface Tool<Params extends z.ZodType = z.ZodType, Result = unknown> {
  readonly name: string;
  readonly description: string;
  readonly parameters: Params;
  execute(args: z.infer<Params>, context: ToolContext): Result | Promise<Result>;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Defines a tool:
 * ```ts
 * const weather = tool({
 *   name: "get_weather",
 *   description: "Current weather in a city",
 *   parameters: z.object({ city: z.string() }),
 *   execute: async ({ city }) => ({ city, tempC: 21 }),
 * });
 * ```
 */
export function tool<Params extends z.ZodType, Result>(
  definition: Tool<Params, Result>,
): Tool<Params, Result> {
  if (!NAME.test(definition.name)) {
    throw new TypeError(`tool name '${definition.name}' must be 1-64 characters of A-Z, a-z, 0-9, _ or -`);
  }
  if (typeof definition.execute !== "function") {
    throw new TypeError(`tool '${definition.name}' needs an execute function`);
  }
  return Object.freeze({ ...definition });
}

/** The JSON-schema form of a tool, as LLM providers take it. */
export function toolSpec(t: Tool): ToolSpec {
  const { $schema: _drop, ...parameters } = z.toJSONSchema(t.parameters) as Record<string, unknown>;
  return { name: t.name, description: t.description, parameters };
}
