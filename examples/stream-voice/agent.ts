// The seed's agent on Stream Video: the agent joins a Stream call (getstream.Edge, credentials from
// STREAM_API_KEY / STREAM_API_SECRET), with the local speech stack (Silero VAD, pocketsphinx STT,
// flite TTS) and an LLM chosen from the environment as in examples/local-voice. `run` prints (and
// unless --no-demo opens) a link to join the same call in Stream's demo app.
//
//   STREAM_API_KEY=... STREAM_API_SECRET=... npx tsx examples/stream-voice/agent.ts run
//   STREAM_API_KEY=... STREAM_API_SECRET=... npx tsx examples/stream-voice/agent.ts serve

import * as getstream from "@callwright/getstream";
import * as local from "@callwright/local";
import * as openai from "@callwright/openai";
import { Agent, AgentLauncher, launcherOptionsFromEnv, Runner, User } from "callwright";

async function createAgent(): Promise<Agent> {
  const env = process.env;
  return new Agent({
    edge: new getstream.Edge(),
    agentUser: new User({ name: "Assistant", id: "callwright-agent" }),
    instructions: "You're a helpful voice assistant. Answer in one or two short spoken sentences.",
    llm: env.OPENAI_BASE_URL || env.OPENAI_API_KEY ? new openai.LLM() : new local.OfflineLLM(),
    stt: new local.STT(),
    tts: new local.TTS(),
    vad: new local.VAD(),
    tools: [local.currentTimeTool],
  });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await using _session = await agent.join(call);
  await agent.finish(); // resolves when the call ends or the session is closed
}

new Runner(() => new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })).cli();
