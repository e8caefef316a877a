// callwright/testing: fakes for every part of an agent (scripted, recording, deterministic),
// test signals, an injectable clock, and a text-only session runner, for users' tests and ours.
export { delay } from "./delay.js";
export { nextEvent } from "./events.js";
export { FakeClock } from "./fake-clock.js";
export { FakeConnection, FakeEdge, type FakeEdgeOptions } from "./fake-edge.js";
export { FakeLLM, type FakeLlmOptions, type FakeLlmReply } from "./fake-llm.js";
export { FakeRealtime, type FakeRealtimeOptions, FakeRealtimeSession } from "./fake-realtime.js";
export { FakeSTT, type FakeSttOptions, type FakeSttSegment, FakeSttStream } from "./fake-stt.js";
export { FakeTTS, type FakeTtsOptions } from "./fake-tts.js";
export { concat, noise, type SignalOptions, silence, speechLike, tone } from "./signals.js";
export {
  createTestSession,
  type TestRunEvent,
  TestSession,
  type TestSessionOptions,
} from "./test-session.js";
