// Request validation with FastAPI's error shape: `{"detail": [{type, loc, msg, input, ctx?}]}`
// (pydantic v2 names and messages), so clients written for the Python server read our 422s.
import { CallwrightError } from "../errors/index.js";

/** One validation problem, as pydantic reports it. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** A request failed validation: the server answers 422 with `{"detail": issues}`. */
export class RequestValidationError extends CallwrightError {
  readonly statusCode = 422;
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; "), {
      code: "request_invalid",
      fault: "user",
    });
    this.name = "RequestValidationError";
    this.issues = issues;
  }
}

/** The subset of JSON Schema our routes use: objects of strings with lengths and defaults. */
export interface ObjectSchema {
  type: "object";
  required?: readonly string[];
  properties: Record<string, { type: "string"; minLength?: number; maxLength?: number; default?: string }>;
}

const locOf: Record<string, string> = {
  body: "body",
  params: "path",
  querystring: "query",
  headers: "header",
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Compiles a validator for `schema` as Fastify's `validatorCompiler` wants: it returns
 * `{ value }` (known fields only, defaults applied; unknown fields ignored, as pydantic
 * does) or `{ error: RequestValidationError }` listing every problem.
 */
export function compileValidator(
  schema: ObjectSchema,
  httpPart: string,
): (data: unknown) => { value: Record<string, string> } | { error: RequestValidationError } {
  if (schema?.type !== "object" || !isPlainObject(schema.properties)) {
    throw new TypeError(
      `callwright's validator only compiles object schemas (got ${JSON.stringify(schema)})`,
    );
  }
  const part = locOf[httpPart] ?? httpPart;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties);
  for (const [name, field] of fields) {
    if (field.type !== "string")
      throw new TypeError(`callwright's validator: field '${name}' must be a string`);
  }
  return (data) => {
    const issues: ValidationIssue[] = [];
    if (data === null || data === undefined) {
      if (required.size > 0) {
        return {
          error: new RequestValidationError([
            { type: "missing", loc: [part], msg: "Field required", input: null },
          ]),
        };
      }
      data = {};
    }
    if (!isPlainObject(data)) {
      return {
        error: new RequestValidationError([
          {
            type: "model_attributes_type",
            loc: [part],
            msg: "Input should be a valid dictionary or object to extract fields from",
            input: data,
          },
        ]),
      };
    }
    const value: Record<string, string> = {};
    for (const [name, field] of fields) {
      const input = Object.hasOwn(data, name) ? data[name] : undefined;
      const loc = [part, name];
      if (input === undefined) {
        if (required.has(name)) issues.push({ type: "missing", loc, msg: "Field required", input: data });
        else if (field.default !== undefined) value[name] = field.default;
        continue;
      }
      if (typeof input !== "string") {
        issues.push({ type: "string_type", loc, msg: "Input should be a valid string", input });
        continue;
      }
      if (field.minLength !== undefined && input.length < field.minLength) {
        issues.push({
          type: "string_too_short",
          loc,
          msg: `String should have at least ${plural(field.minLength, "character")}`,
          input,
          ctx: { min_length: field.minLength },
        });
        continue;
      }
      if (field.maxLength !== undefined && input.length > field.maxLength) {
        issues.push({
          type: "string_too_long",
          loc,
          msg: `String should have at most ${plural(field.maxLength, "character")}`,
          input,
          ctx: { max_length: field.maxLength },
        });
        continue;
      }
      value[name] = input;
    }
    return issues.length > 0 ? { error: new RequestValidationError(issues) } : { value };
  };
}

/** True for `application/json` and `application/*+json` (parameters such as charset allowed). */
export function isJsonMediaType(contentType: string): boolean {
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/**
 * Parses a request body as FastAPI does: JSON when the content type says JSON or is absent
 * (malformed JSON → 422 `json_invalid` with the position); any other body is kept as text,
 * which validation then reports as not an object. An empty body is `undefined`.
 */
export function parseBody(contentType: string | undefined, body: string): unknown {
  if (body.length === 0) return undefined;
  if (contentType !== undefined && !isJsonMediaType(contentType)) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    throw new RequestValidationError([
      {
        type: "json_invalid",
        loc: ["body", position === undefined ? 0 : Number(position)],
        msg: "JSON decode error",
        input: {},
        ctx: { error: message },
      },
    ]);
  }
  if (jsonDepth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    // Refused before validation, whose detail would echo (and serialize) the whole input.
    throw new RequestValidationError([
      {
        type: "json_too_deep",
        loc: ["body"],
        msg: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
        input: {},
        ctx: { max_depth: MAX_JSON_DEPTH },
      },
    ]);
  }
  return parsed;
}

/** Deepest nesting of arrays and objects a JSON body may have (ours are flat objects). */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of `value`, counted without recursion and stopping once past `limit`. */
function jsonDepth(value: unknown, limit: number): number {
  if (typeof value !== "object" || value === null) return 0;
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node as object)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
