// JSON Schema (what zod and our ToolSpec produce) → Gemini's Schema, an OpenAPI 3.0 subset that
// the API parses as a protocol buffer: an unknown keyword is a 400 ("Invalid JSON payload
// received. Unknown name "additionalProperties" ... Cannot find field."), a list of types too,
// and an array needs `items`. What Gemini cannot say is converted where a close form exists
// (nullable unions, `const`, `oneOf`, local `$ref`s, type lists) and dropped otherwise; the
// names of dropped keywords are reported so the plugin can log them at debug.
import type { WireSchema } from "./types.js";

type Json = Record<string, unknown>;

/** Keywords kept as they are (when their values are of the right kind). */
const PASS_THROUGH_STRINGS = ["title", "description", "pattern"] as const;
const PASS_THROUGH_NUMBERS = [
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
] as const;

/** Formats Gemini accepts, by type; any other is dropped and said in the description. */
const FORMATS: Readonly<Record<string, readonly string[]>> = {
  string: ["enum", "date-time"],
  integer: ["int32", "int64"],
  number: ["float", "double"],
};

const TYPES = new Set(["string", "number", "integer", "boolean", "array", "object", "null"]);

/** How deep `$ref`s are followed; a recursive schema stops there (as a JSON string). */
const MAX_REF_DEPTH = 8;

/** Keywords handled by the converter itself (so they are not reported as dropped). */
const HANDLED = new Set<string>([
  ...PASS_THROUGH_STRINGS,
  ...PASS_THROUGH_NUMBERS,
  "type",
  "format",
  "enum",
  "const",
  "nullable",
  "items",
  "prefixItems",
  "properties",
  "required",
  "anyOf",
  "oneOf",
  "allOf",
  "$ref",
  "$defs",
  "definitions",
  "$schema",
  "default",
  "examples",
  "example",
  "exclusiveMinimum",
  "exclusiveMaximum",
]);

export interface SchemaConversion {
  /** Undefined when the function takes no arguments (an object without properties). */
  schema: WireSchema | undefined;
  /** JSON Schema keywords Gemini has no form for, dropped (e.g. `additionalProperties`). */
  dropped: string[];
}

/** Converts the JSON schema of a tool's arguments to the Schema of a function declaration. */
export function toGeminiSchema(parameters: Record<string, unknown>): SchemaConversion {
  const dropped = new Set<string>();
  const schema = convert(parameters, { root: parameters, dropped, refDepth: 0 });
  const empty =
    schema.type === "object" &&
    (schema.properties === undefined || Object.keys(schema.properties).length === 0) &&
    schema.anyOf === undefined;
  return { schema: empty ? undefined : schema, dropped: [...dropped].sort() };
}

interface Context {
  root: Json;
  dropped: Set<string>;
  refDepth: number;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function convert(input: unknown, ctx: Context): WireSchema {
  // `true` and `{}` accept anything; Gemini has no "any": the value travels as JSON text.
  if (input === true || (isObject(input) && Object.keys(input).length === 0)) {
    return { type: "string", description: "any JSON value, as text" };
  }
  if (!isObject(input)) return { type: "string" };
  let node = input;
  if (typeof node.$ref === "string") {
    const target = resolveRef(node.$ref, ctx.root);
    if (target === undefined || ctx.refDepth >= MAX_REF_DEPTH) {
      ctx.dropped.add("$ref");
      return withDescription({ type: "string" }, describe(node), "a JSON value, as text");
    }
    const { $ref: _ref, ...rest } = node;
    return convert({ ...target, ...rest }, { ...ctx, refDepth: ctx.refDepth + 1 });
  }
  for (const key of Object.keys(node)) if (!HANDLED.has(key)) ctx.dropped.add(key);

  if (Array.isArray(node.allOf)) {
    node = mergeAll(node, node.allOf, ctx);
  }
  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union !== undefined) return convertUnion(node, union, ctx);

  const out: WireSchema = {};
  copyCommon(node, out, ctx);

  let type: unknown = node.type;
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === "string");
    if (types.includes("null")) out.nullable = true;
    const rest = types.filter((t) => t !== "null");
    if (rest.length > 1) {
      const { type: _t, ...others } = node;
      return {
        ...out,
        anyOf: rest.map((t) => convert({ ...others, type: t }, ctx)),
      };
    }
    type = rest[0] ?? "string";
  }
  if ("const" in node) return { ...out, ...constSchema(node.const, out.description) };
  const kind: string = typeof type === "string" && TYPES.has(type) ? type : inferType(node);
  if (kind === "null") return { ...out, type: "string", nullable: true };
  out.type = kind;

  if (typeof node.format === "string") {
    if (FORMATS[kind]?.includes(node.format)) out.format = node.format;
    else {
      ctx.dropped.add(`format:${node.format}`);
      Object.assign(out, withDescription(out, out.description, `format: ${node.format}`));
    }
  }
  if (Array.isArray(node.enum)) applyEnum(node.enum, out, ctx);

  if (kind === "object") {
    const properties = isObject(node.properties) ? node.properties : {};
    const names = Object.keys(properties);
    if (names.length > 0) {
      out.properties = {};
      for (const name of names) out.properties[name] = convert(properties[name], ctx);
      const required = Array.isArray(node.required)
        ? node.required.filter((r): r is string => typeof r === "string" && names.includes(r))
        : [];
      if (required.length > 0) out.required = required;
    }
  } else if (kind === "array") {
    if (Array.isArray(node.prefixItems) && node.prefixItems.length > 0) {
      ctx.dropped.add("prefixItems");
      const items = node.prefixItems.map((item) => convert(item, ctx));
      out.items = items.length === 1 ? items[0]! : { anyOf: items };
    } else {
      out.items = node.items === undefined ? { type: "string" } : convert(node.items, ctx);
    }
  }
  if (kind === "number" || kind === "integer") {
    if (typeof node.exclusiveMinimum === "number" && out.minimum === undefined) {
      out.minimum = node.exclusiveMinimum;
      Object.assign(out, withDescription(out, out.description, `greater than ${node.exclusiveMinimum}`));
    }
    if (typeof node.exclusiveMaximum === "number" && out.maximum === undefined) {
      out.maximum = node.exclusiveMaximum;
      Object.assign(out, withDescription(out, out.description, `less than ${node.exclusiveMaximum}`));
    }
  }
  return out;
}

/** title, description, pattern, the numeric bounds, default and example. */
function copyCommon(node: Json, out: WireSchema, _ctx: Context): void {
  for (const key of PASS_THROUGH_STRINGS) {
    const v = node[key];
    if (typeof v === "string") out[key] = v;
  }
  for (const key of PASS_THROUGH_NUMBERS) {
    const v = node[key];
    if (typeof v === "number" && Number.isFinite(v)) out[key] = v;
  }
  if (node.nullable === true) out.nullable = true;
  if ("default" in node && node.default !== undefined) out.default = node.default;
  if ("example" in node) out.example = node.example;
  else if (Array.isArray(node.examples) && node.examples.length > 0) out.example = node.examples[0];
}

/** anyOf / oneOf: a `null` member becomes `nullable`; string constants become an enum. */
function convertUnion(node: Json, members: unknown[], ctx: Context): WireSchema {
  if (Array.isArray(node.oneOf)) ctx.dropped.add("oneOf→anyOf");
  const out: WireSchema = {};
  copyCommon(node, out, ctx);
  const isNull = (m: unknown) => isObject(m) && (m.type === "null" || m.const === null);
  if (members.some(isNull)) out.nullable = true;
  const rest = members.filter((m) => !isNull(m));
  if (rest.length > 0 && rest.every((m) => isObject(m) && typeof m.const === "string")) {
    return { ...out, type: "string", enum: rest.map((m) => (m as Json).const as string) };
  }
  if (rest.length === 0) return { ...out, type: "string", nullable: true };
  if (rest.length === 1) {
    const single = convert(rest[0], ctx);
    return {
      ...single,
      ...out,
      ...(out.description === undefined && single.description !== undefined
        ? { description: single.description }
        : {}),
    };
  }
  return { ...out, anyOf: rest.map((m) => convert(m, ctx)) };
}

/** allOf: the members' properties and required lists merged into the node. */
function mergeAll(node: Json, members: unknown[], ctx: Context): Json {
  const { allOf: _all, ...merged } = node;
  const properties: Json = isObject(merged.properties) ? { ...merged.properties } : {};
  const required = new Set<string>(Array.isArray(merged.required) ? (merged.required as string[]) : []);
  for (const raw of members) {
    let member = raw;
    if (isObject(member) && typeof member.$ref === "string") member = resolveRef(member.$ref, ctx.root);
    if (!isObject(member)) continue;
    for (const [k, v] of Object.entries(member)) {
      if (k === "properties" && isObject(v)) Object.assign(properties, v);
      else if (k === "required" && Array.isArray(v)) for (const r of v) required.add(String(r));
      else if (!(k in merged)) merged[k] = v;
    }
  }
  if (Object.keys(properties).length > 0) {
    merged.properties = properties;
    merged.type ??= "object";
  }
  if (required.size > 0) merged.required = [...required];
  return merged;
}

function applyEnum(values: unknown[], out: WireSchema, ctx: Context): void {
  const strings = values.filter((v): v is string => typeof v === "string");
  if (strings.length === values.length && out.type === "string") {
    out.enum = strings;
    return;
  }
  // Gemini takes enums of strings only: other values are said in the description instead.
  ctx.dropped.add("enum(non-string)");
  Object.assign(out, withDescription(out, out.description, `one of ${values.map(String).join(", ")}`));
}

function constSchema(value: unknown, description: string | undefined): WireSchema {
  if (typeof value === "string") return { type: "string", enum: [value] };
  const type = typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : "boolean";
  if (typeof value !== "number" && typeof value !== "boolean") {
    return withDescription({ type: "string" }, description, `always ${JSON.stringify(value)}`);
  }
  return withDescription({ type }, description, `always ${String(value)}`);
}

function inferType(node: Json): string {
  if (isObject(node.properties)) return "object";
  if (node.items !== undefined || node.prefixItems !== undefined) return "array";
  if (Array.isArray(node.enum) && node.enum.every((v) => typeof v === "string")) return "string";
  return "string";
}

function resolveRef(ref: string, root: Json): Json | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

function describe(node: Json): string | undefined {
  return typeof node.description === "string" ? node.description : undefined;
}

/** `schema` with `note` appended to its description (in parentheses after any given one). */
function withDescription(schema: WireSchema, description: string | undefined, note: string): WireSchema {
  return { ...schema, description: description === undefined ? note : `${description} (${note})` };
}
