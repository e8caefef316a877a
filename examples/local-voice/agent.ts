// The repo's default example agent: what `npm start` and `npm run serve` run. A voice agent you
// talk to in the browser with no account and no key: the local WebRTC edge (the demo page at /),
// Silero VAD, pocketsphinx STT and flite TTS on this machine, and an LLM chosen from the
// environment: any OpenAI-compatible server when OPENAI_BASE_URL or OPENAI_API_KEY is set, else
// the offline responder (greets, tells the time through a tool, does arithmetic; not a real model).
// Launcher limits come from the CALLWRIGHT_* variables (docs/http-api.md).
//
//   npm run serve -- --port 8000        the HTTP server (serve --help for every option)
//   npm run run-agent                   one agent in one new call; prints the page to open

import * as local from "@callwright/local";
import * as openai from "@callwright/openai";
import {
  Agent,
  AgentLauncher,
  createLogger,
  type LlmModel,
  launcherOptionsFromEnv,
  Runner,
  User,
} from "callwright";

/** The LLM this server uses, and why: logged once at start. */
function chooseLlm(env: NodeJS.ProcessEnv): { llm: LlmModel; why: string } {
  if (env.OPENAI_BASE_URL || env.OPENAI_API_KEY) {
    const llm = new openai.LLM();
    const via = env.OPENAI_BASE_URL ? `OPENAI_BASE_URL=${env.OPENAI_BASE_URL}` : "OPENAI_API_KEY is set";
    return { llm, why: `OpenAI-compatible model '${llm.modelId}' (${via})` };
  }
  return {
    llm: new local.OfflineLLM(),
    why: "the offline responder (no OPENAI_BASE_URL or OPENAI_API_KEY set; it is not a language model)",
  };
}

let announced = false;

async function createAgent(): Promise<Agent> {
  const { llm, why } = chooseLlm(process.env);
  if (!announced) {
    announced = true;
    createLogger({ name: "example" }).info({ llm: llm.modelId }, `LLM: ${why}`);
  }
  return new Agent({
    edge: new local.Edge(),
    agentUser: new User({ name: "Assistant", id: "agent" }),
    instructions: "You're a helpful voice assistant. Answer in one or two short spoken sentences.",
    llm,
    stt: new local.STT(),
    tts: new local.TTS(),
    vad: new local.VAD(),
    tools: [local.currentTimeTool],
    // Offline face and object detection on the camera or a shared screen, when someone speaks.
    processors: [new local.Vision()],
  });
}

async function joinCall(agent: Agent, callType: string, callId: string): Promise<void> {
  const call = await agent.createCall(callType, callId);
  await using _session = await agent.join(call);
  await agent.finish(); // resolves when the call ends or the session is closed
}

// A function, so a malformed CALLWRIGHT_* variable stops start-up with one line naming it.
new Runner(() => new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })).cli();
