// The local edge: agents and browsers meet in calls hosted by this server, over peer-to-peer
// WebRTC (node-datachannel + Opus), with signalling routes and a demo page at `/`.
export type { EdgePageMessage } from "./call.js";
export { Edge, type LocalEdgeOptions } from "./edge.js";
export { CallHub, type CallHubOptions, defaultCallHub, type OfferRequest, type OfferResult } from "./hub.js";
export {
  type CallHubTimingOptions,
  defaultCallHubTimingOptions,
  defaultLocalAudioOptions,
  defaultWebRtcOptions,
  type LocalAudioOptions,
  WEBRTC_ENV,
  type WebRtcOptions,
  webRtcOptionsFromEnv,
} from "./options.js";
export { DEMO_PAGE_DIR, type LocalEdgeRoutesOptions, localEdgeRoutes } from "./routes.js";
