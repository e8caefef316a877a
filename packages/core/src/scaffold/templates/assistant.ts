// What the agent says and can do, apart from how it hears and speaks: tested in assistant.test.ts
// without audio, and used by agent.ts.
import * as local from "@callwright/local";
import type { Tool } from "callwright";

export const instructions =
  "You're a helpful voice assistant. Answer in one or two short sentences: your words are spoken aloud.";

/**
 * Functions the LLM may call. Add your own with `tool()` from "callwright" and a zod schema:
 *
 *   tool({ name: "get_weather", description: "Weather in a city", parameters: z.object({ city: z.string() }),
 *          execute: async ({ city }) => ({ city, sky: "sunny" }) })
 */
export const tools: Tool[] = [local.currentTimeTool];
