import { tool, toolSpec } from "callwright";
import { describe, expect, it } from "vitest";
import { z } from "zod";

describe("tool", () => {
  it("turns a zod schema into the JSON schema an LLM provider takes", () => {
    const t = tool({
      name: "get_weather",
      description: "Weather in a city",
      parameters: z.object({ city: z.string().describe("City name") }),
      execute: ({ city }) => ({ city }),
    });
    expect(toolSpec(t)).toEqual({
      name: "get_weather",
      description: "Weather in a city",
      parameters: {
        type: "object",
        properties: { city: { type: "string", description: "City name" } },
        required: ["city"],
        additionalProperties: false,
      },
    });
  });

  it("rejects names providers refuse", () => {
    expect(() =>
      tool({ name: "get weather", description: "", parameters: z.object({}), execute: () => 1 }),
    ).toThrow(/1-64 characters/);
  });
});
