// launcher agents: creating an agent through the user's `createAgent` (checked to be an Agent)
// and closing one without throwing (a failed close is logged), for sessions and warm-up alike.
import { Agent } from "../agent/agent.js";
import type { Logger } from "../log/index.js";
import type { CreateAgent } from "./options.js";

/** Calls `createAgent` and checks that what it returned is an Agent. */
export async function newAgent(createAgent: CreateAgent): Promise<Agent> {
  const agent = await createAgent();
  // Duck-typed, so an Agent from a second copy of callwright (a dual install) still works.
  const a = agent as Partial<Agent> | null | undefined;
  if (
    !(agent instanceof Agent) &&
    (typeof a?.close !== "function" ||
      typeof a.warmup !== "function" ||
      typeof a.setLogger !== "function" ||
      typeof a.idleForMs !== "function" ||
      typeof a.metrics?.snapshot !== "function")
  ) {
    throw new TypeError(`createAgent must return an Agent (got ${agent === null ? "null" : typeof agent})`);
  }
  return agent;
}

/** Closes an agent; a failure is logged, never thrown. */
export async function closeAgent(agent: Agent, reason: string, logger: Logger): Promise<void> {
  try {
    await agent.close(reason);
  } catch (error) {
    logger.warn({ err: error }, "closing the agent failed");
  }
}
