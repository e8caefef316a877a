// A tiny agent for the multi-node tests and bench/cluster: fake edge, no models, so a node starts
// in about a second. Limits and the registry (CALLWRIGHT_REDIS_URL...) come from the environment.
import { Agent, AgentLauncher, launcherOptionsFromEnv, RedisRegistry, Runner } from "callwright";
import { FakeEdge } from "callwright/testing";

async function createAgent(): Promise<Agent> {
  return new Agent({ edge: new FakeEdge() });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await agent.join(call, () => agent.finish());
}

new Runner(
  () =>
    new AgentLauncher({
      createAgent,
      joinCall,
      ...launcherOptionsFromEnv(process.env, {
        registryFactory: ({ url, prefix }) => new RedisRegistry({ url, prefix }),
      }),
    }),
).cli();
