// A speech-to-speech agent: Gemini's Live API hears the call and answers aloud itself (no STT, no
// TTS, no VAD of ours), on the local edge: talk to it from the demo page at http://127.0.0.1:8000/.
// It sees too: stills of your camera or shared screen go to the model once a second.
//
//   GOOGLE_API_KEY=... npm run realtime -- serve --port 8000      (`run` joins one call now)
//
// GEMINI_BASE_URL points it at a proxy (or a test's fake). docs/realtime.md has every option.

import * as gemini from "@callwright/gemini";
import * as local from "@callwright/local";
import { Agent, AgentLauncher, launcherOptionsFromEnv, Runner, User } from "callwright";

async function createAgent(): Promise<Agent> {
  return new Agent({
    edge: new local.Edge(),
    agentUser: new User({ name: "My happy AI friend", id: "agent" }),
    instructions:
      "You're a voice AI assistant. Keep responses short and conversational. Be friendly and helpful.",
    llm: new gemini.Realtime({ voice: "Puck" }),
    tools: [local.currentTimeTool],
  });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await using _session = await agent.join(call);
  await agent.finish(); // resolves when the call ends or the session is closed
}

new Runner(() => new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })).cli();
