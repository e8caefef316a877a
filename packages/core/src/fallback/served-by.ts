// Which model served one call of a fallback (a FallbackLLM's stream, a FallbackTTS's synthesis,
// a FallbackSTT's segment): read off the iterable the call returned, so per-call metrics and
// logs can name the provider that really answered, even when one fallback serves many sessions.

/** The member of a fallback list that served a call. */
export interface ServedBy {
  /** Its `provider`, e.g. "gemini". */
  readonly provider: string;
  readonly modelId: string;
  /** Its place in the list: 0 is the first choice; more means a fallback served. */
  readonly index: number;
}

/** The property a fallback's call result carries its `ServedBy` under (absent before one serves). */
export const SERVED_BY: unique symbol = Symbol.for("callwright.servedBy");

/** Who served `call` (the iterable or stream a model returned), when it is a fallback's. */
export function servedByOf(call: unknown): ServedBy | undefined {
  if (call === null || (typeof call !== "object" && typeof call !== "function")) return undefined;
  const value = (call as { [SERVED_BY]?: unknown })[SERVED_BY];
  return value === undefined ? undefined : (value as ServedBy);
}
