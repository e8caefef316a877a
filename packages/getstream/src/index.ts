// @callwright/getstream: the agent joins Stream Video calls (coordinator REST, the SFU's
// protobuf signalling and Twirp RPC, WebRTC audio on node-datachannel). FakeStream is in ./testing.
export {
  CoordinatorClient,
  type CoordinatorOptions,
  type SfuCredentials,
  type StreamUser,
} from "./coordinator/client.js";
export { StreamTokens, signJwt, verifyJwt } from "./coordinator/jwt.js";
export { StreamEdgeConnection } from "./edge/connection.js";
export { DEMO_USER, Edge, type GetstreamEdgeOptions } from "./edge/edge.js";
export {
  defaultStreamEdgeOptions,
  STREAM_ENV,
  type StreamEdgeOptions,
  streamOptionsFromEnv,
} from "./edge/options.js";
export { StreamError, type StreamErrorCode } from "./errors.js";
