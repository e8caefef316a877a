// An agent file whose behaviour the call id picks, for the fault tests: `healthy-*` joins and
// keeps a timer ticking; `throw-*` throws from joinCall; `reject-*` leaves a rejected promise
// nobody handles; `timer-*` throws from a timer set inside joinCall; `hang-*` never joins.
import { Agent, AgentLauncher, launcherOptionsFromEnv, Runner } from "callwright";
import { FakeEdge } from "callwright/testing";

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  if (callId.startsWith("throw-")) throw new Error(`joinCall of ${callId} threw`);
  if (callId.startsWith("hang-")) return new Promise<void>(() => {});
  if (callId.startsWith("timer-")) {
    setTimeout(() => {
      throw new Error(`a timer of ${callId} threw`);
    }, 100);
  }
  await agent.join(call, async () => {
    if (callId.startsWith("reject-")) {
      setTimeout(() => void Promise.reject(new Error(`a stray promise of ${callId} rejected`)), 100);
    }
    if (callId.startsWith("healthy-")) {
      // A tick every 20 ms: its lateness shows whether the event loop stayed free.
      let last = performance.now();
      let worstLateMs = 0;
      const tick = setInterval(() => {
        const now = performance.now();
        worstLateMs = Math.max(worstLateMs, now - last - 20);
        last = now;
      }, 20);
      agent.on("left", () => clearInterval(tick));
      process.stdout.write(`healthy agent ${callId} ticking\n`);
      setTimeout(
        () => process.stdout.write(`healthy ${callId} worst tick lateness ${Math.round(worstLateMs)} ms\n`),
        3_000,
      );
    }
    await agent.finish();
  });
}

new Runner(
  () =>
    new AgentLauncher({
      createAgent: () => new Agent({ edge: new FakeEdge() }),
      joinCall,
      ...launcherOptionsFromEnv(process.env),
    }),
).cli();
