// The seed's agent, in TypeScript: Gemini thinks, Deepgram listens, ElevenLabs speaks, and the
// agent joins a Stream Video call when STREAM_API_KEY and STREAM_API_SECRET are set (else the
// local edge: talk to it from the demo page at http://127.0.0.1:8000/). One tool: the time.
//
//   GOOGLE_API_KEY=... DEEPGRAM_API_KEY=... ELEVENLABS_API_KEY=... npm run cloud-voice -- serve --port 8000
//   (add STREAM_API_KEY=... STREAM_API_SECRET=... for Stream; `run` instead of `serve` joins one call now)
//
// A missing key stops start-up with one line naming its variable. GEMINI_BASE_URL,
// DEEPGRAM_BASE_URL and ELEVENLABS_BASE_URL point a provider at a proxy (or a test's fake).

import * as deepgram from "@callwright/deepgram";
import * as elevenlabs from "@callwright/elevenlabs";
import * as gemini from "@callwright/gemini";
import * as getstream from "@callwright/getstream";
import * as local from "@callwright/local";
import { Agent, AgentLauncher, type Edge, launcherOptionsFromEnv, Runner, User } from "callwright";

/** Stream's edge when its credentials are set, else the local WebRTC edge and its demo page. */
function chooseEdge(env: NodeJS.ProcessEnv): Edge {
  return env.STREAM_API_KEY && env.STREAM_API_SECRET ? new getstream.Edge() : new local.Edge();
}

async function createAgent(): Promise<Agent> {
  return new Agent({
    edge: chooseEdge(process.env),
    agentUser: new User({ name: "My happy AI friend", id: "agent" }),
    instructions:
      "You're a voice AI assistant. Keep responses short and conversational. Don't use special characters or formatting. Be friendly and helpful.",
    llm: new gemini.LLM({ model: "gemini-2.5-flash" }),
    tts: new elevenlabs.TTS(),
    stt: new deepgram.STT(),
    tools: [local.currentTimeTool],
  });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await using _session = await agent.join(call);
  await agent.finish(); // resolves when the call ends or the session is closed
}

new Runner(() => new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })).cli();
