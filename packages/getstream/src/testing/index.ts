// Testing kit for the Stream edge: FakeStream (coordinator, SFU signalling, Twirp, media plane on
// 127.0.0.1) and a scripted person who joins calls through the same protocol.
export type { RecordedRpc } from "./fake-sfu.js";
export {
  defaultFakeStreamCredentials,
  FakeStream,
  type FakeStreamOptions,
  type RecordedCustomEvent,
} from "./fake-stream.js";
export { type PersonOptions, ScriptedPerson } from "./person.js";
