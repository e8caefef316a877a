// A voice agent you can talk to in your browser, with no account anywhere: the local stack
// (a WebRTC edge with a demo page, Silero VAD, pocketsphinx STT, flite TTS) and an offline
// responder, or any OpenAI-compatible LLM once OPENAI_BASE_URL or OPENAI_API_KEY is set.
//
//   npm start          talk to it now: one agent in one call, demo page opened (agent.ts run)
//   npm run serve      the HTTP service that starts agents on demand (agent.ts serve --help)
//   npm test           the tests (vitest)
import * as local from "@callwright/local";
import * as openai from "@callwright/openai";
import { Agent, AgentLauncher, launcherOptionsFromEnv, Runner, User } from "callwright";
import { instructions, tools } from "./assistant.js";

// The quick start's cloud stack: add the plugins (npm install @callwright/getstream ...), set
// their keys (see .env.example) and use them in createAgent instead of the local ones.
// import * as deepgram from "@callwright/deepgram";
// import * as elevenlabs from "@callwright/elevenlabs";
// import * as gemini from "@callwright/gemini";
// import * as getstream from "@callwright/getstream";
//
//   edge: new getstream.Edge(),
//   llm: new gemini.LLM({ model: "gemini-2.5-flash" }),
//   tts: new elevenlabs.TTS(),
//   stt: new deepgram.STT(),

/** A real model when one is configured (OpenAI, Ollama, llama.cpp...), else the offline responder. */
function createLLM() {
  const configured = Boolean(process.env.OPENAI_BASE_URL?.trim() || process.env.OPENAI_API_KEY?.trim());
  return configured ? new openai.LLM() : new local.OfflineLLM();
}

async function createAgent(): Promise<Agent> {
  const llm = createLLM();
  return new Agent({
    edge: new local.Edge(),
    agentUser: new User({ name: "Assistant", id: "agent" }),
    instructions,
    llm,
    // With the offline responder, the recognizer leans toward the questions it understands.
    stt: new local.STT(
      llm instanceof local.OfflineLLM ? { biasPhrases: local.offlineResponderPhrases() } : {},
    ),
    tts: new local.TTS(),
    vad: new local.VAD(),
    tools,
  });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await using _session = await agent.join(call);
  await agent.finish(); // resolves when the call ends or the session is closed
}

// Limits, Redis and timeouts come from the CALLWRIGHT_* variables (see .env.example).
new Runner(() => new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })).cli();
