// Session registry: where sessions are recorded, found, metered and flagged for close.
export type { ReserveResult, SessionRecord, SessionRegistry } from "./types.js";
