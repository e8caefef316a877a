import { describe, expect, it } from "vitest";
import { checkGenerateRequest } from "../../../../test/fakes/gemini-server.js";
import { toGeminiSchema } from "./schema.js";

/** A request declaring one function with `schema`, as the fake (and Gemini) checks it. */
const problems = (parameters: unknown) =>
  checkGenerateRequest({
    contents: [{ role: "user", parts: [{ text: "hi" }] }],
    tools: [
      {
        functionDeclarations: [
          { name: "f", description: "d", ...(parameters === undefined ? {} : { parameters }) },
        ],
      },
    ],
  });

describe("toGeminiSchema", () => {
  it("turns type lists and null unions into nullable, and several types into anyOf", () => {
    const { schema } = toGeminiSchema({
      type: "object",
      properties: {
        a: { type: ["string", "null"] },
        b: { anyOf: [{ type: "integer" }, { type: "null" }], description: "count" },
        c: { type: ["string", "number"] },
      },
    });
    expect(schema?.properties).toEqual({
      a: { type: "string", nullable: true },
      b: { type: "integer", nullable: true, description: "count" },
      c: { anyOf: [{ type: "string" }, { type: "number" }] },
    });
    expect(problems(schema)).toEqual([]);
  });

  it("inlines local $refs (recursion stops, as JSON text) and merges allOf", () => {
    const { schema, dropped } = toGeminiSchema({
      type: "object",
      $defs: {
        node: { type: "object", properties: { name: { type: "string" }, child: { $ref: "#/$defs/node" } } },
      },
      properties: {
        tree: { $ref: "#/$defs/node" },
        both: {
          allOf: [
            { properties: { x: { type: "number" } }, required: ["x"] },
            { properties: { y: { type: "string" } } },
          ],
        },
      },
    });
    expect(schema?.properties?.both).toEqual({
      type: "object",
      properties: { x: { type: "number" }, y: { type: "string" } },
      required: ["x"],
    });
    let depth = 0;
    let node = schema?.properties?.tree;
    while (node?.properties?.child !== undefined) {
      depth += 1;
      node = node.properties.child;
    }
    expect(depth).toBe(8);
    expect(node).toEqual({ type: "string", description: "a JSON value, as text" });
    expect(dropped).toContain("$ref");
    expect(problems(schema)).toEqual([]);
  });

  it("says in the description what it cannot keep: non-string enums and consts, exclusive bounds, formats", () => {
    const { schema, dropped } = toGeminiSchema({
      type: "object",
      properties: {
        level: { type: "integer", enum: [1, 2, 3] },
        version: { const: 2 },
        ratio: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
        site: { type: "string", format: "uri", description: "Home page" },
        pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] },
        anything: {},
      },
      additionalProperties: false,
      $schema: "https://json-schema.org/draft/2020-12/schema",
    });
    expect(schema?.properties).toEqual({
      level: { type: "integer", description: "one of 1, 2, 3" },
      version: { type: "integer", description: "always 2" },
      ratio: { type: "number", minimum: 0, maximum: 1, description: "greater than 0 (less than 1)" },
      site: { type: "string", description: "Home page (format: uri)" },
      pair: { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } },
      anything: { type: "string", description: "any JSON value, as text" },
    });
    expect(dropped).toEqual(["additionalProperties", "enum(non-string)", "format:uri", "prefixItems"]);
    expect(problems(schema)).toEqual([]);
  });

  it("leaves out the parameters of a function without arguments, which Gemini would refuse", () => {
    expect(
      toGeminiSchema({ type: "object", properties: {}, additionalProperties: false }).schema,
    ).toBeUndefined();
    expect(problems({ type: "object", properties: {} })).toHaveLength(1);
    expect(problems(undefined)).toEqual([]);
  });
});
