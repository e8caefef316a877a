// The repo's default example agent: what `npm start` and `npm run serve` run. A voice agent you
// talk to in the browser with no account and no key: the local WebRTC edge (the demo page at /),
// Silero VAD, and an LLM, STT and TTS each chosen from the environment: any OpenAI-compatible
// server when OPENAI_BASE_URL or OPENAI_API_KEY is set, else the offline responder (greets, tells
// the time through a tool, does arithmetic; not a real model); a speech server speaking OpenAI's
// audio API (speaches, whisper.cpp's server, Kokoro-FastAPI, or OpenAI) when OPENAI_STT_* or
// OPENAI_TTS_* is set, else pocketsphinx and flite on this machine. Each choice is logged once.
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
  type SttModel,
  type TtsModel,
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

/** The variables of `names` that are set, for the log line that says why. */
function setVariables(env: NodeJS.ProcessEnv, names: readonly string[]): string[] {
  return names.filter((name) => (env[name]?.trim() ?? "") !== "");
}

/** Speech recognition: a server speaking OpenAI's audio API when asked for, else pocketsphinx. */
function chooseStt(env: NodeJS.ProcessEnv, llm: LlmModel): { stt: SttModel; why: string } {
  const asked = setVariables(env, ["OPENAI_STT_BASE_URL", "OPENAI_STT_MODEL"]);
  if (asked.length > 0) {
    const stt = new openai.STT();
    return {
      stt,
      why: `'${stt.modelId}' at ${stt.baseUrl} over the OpenAI audio API (${asked.join(", ")} set)`,
    };
  }
  return {
    // With the offline responder, the recognizer leans toward the questions it understands.
    stt: new local.STT(
      llm instanceof local.OfflineLLM ? { biasPhrases: local.offlineResponderPhrases() } : {},
    ),
    why: "pocketsphinx on this machine (set OPENAI_STT_BASE_URL for a whisper server such as speaches, or OPENAI_STT_MODEL=gpt-4o-mini-transcribe with OPENAI_API_KEY for OpenAI's)",
  };
}

/** Speech synthesis: a server speaking OpenAI's audio API when asked for, else flite. */
function chooseTts(env: NodeJS.ProcessEnv): { tts: TtsModel; why: string } {
  const asked = setVariables(env, ["OPENAI_TTS_BASE_URL", "OPENAI_TTS_MODEL", "OPENAI_TTS_VOICE"]);
  if (asked.length > 0) {
    const tts = new openai.TTS();
    return {
      tts,
      why: `'${tts.modelId}', voice '${tts.voice}', at ${tts.baseUrl} over the OpenAI audio API (${asked.join(", ")} set)`,
    };
  }
  return {
    tts: new local.TTS(),
    why: "flite on this machine (set OPENAI_TTS_BASE_URL for a server such as Kokoro-FastAPI, or OPENAI_TTS_MODEL=gpt-4o-mini-tts with OPENAI_API_KEY for OpenAI's)",
  };
}

let announced = false;

async function createAgent(): Promise<Agent> {
  const { llm, why } = chooseLlm(process.env);
  const { stt, why: sttWhy } = chooseStt(process.env, llm);
  const { tts, why: ttsWhy } = chooseTts(process.env);
  if (!announced) {
    announced = true;
    const log = createLogger({ name: "example" });
    log.info({ llm: llm.modelId }, `LLM: ${why}`);
    log.info({ stt: `${stt.provider}/${stt.modelId}` }, `STT: ${sttWhy}`);
    log.info({ tts: `${tts.provider}/${tts.modelId}` }, `TTS: ${ttsWhy}`);
  }
  return new Agent({
    edge: new local.Edge(),
    agentUser: new User({ name: "Assistant", id: "agent" }),
    instructions: "You're a helpful voice assistant. Answer in one or two short spoken sentences.",
    llm,
    stt,
    tts,
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
