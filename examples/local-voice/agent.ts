// The repo's default example agent: what `npm run serve` and `npm start` run.
// For now the agent joins calls on an in-process edge (FakeEdge); the local WebRTC edge and
// the offline voice stack take its place once wired in. Launcher limits come from the
// CALLWRIGHT_* environment variables (docs/http-api.md).
//
//   npm run serve -- --port 8000        the HTTP server (serve --help for every option)
//   npm run run-agent -- --no-demo      one agent in one call, now
import { Agent, AgentLauncher, launcherOptionsFromEnv, Runner, User } from "callwright";
import { FakeEdge } from "callwright/testing";

async function createAgent(): Promise<Agent> {
  return new Agent({
    edge: new FakeEdge(),
    agentUser: new User({ name: "Assistant", id: "agent" }),
    instructions: "You're a helpful voice assistant.",
  });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await using _session = await agent.join(call);
  await agent.finish(); // resolves when the call ends or the session is closed
}

// A function, so a malformed CALLWRIGHT_* variable stops start-up with one line naming it.
new Runner(() => new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })).cli();
