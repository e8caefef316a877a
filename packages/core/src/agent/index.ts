// The agent: one agent in one call, wiring the edge to the voice pipeline.
export { Agent, type AgentEvents, type AgentOptions, type CallSession } from "./agent.js";
export { User, type UserOptions } from "./user.js";
