// @callwright/webrtc: the media pieces every WebRTC edge needs (the local browser edge, Stream's
// SFU): a node-datachannel peer that answers and makes offers, RTP, Opus, jitter buffer, outbound.
export { Emitter, type EventMap, type Listener } from "./events.js";
export { InboundOpus, type InboundOpusOptions } from "./inbound.js";
export {
  defaultJitterBufferOptions,
  JitterBuffer,
  type JitterBufferOptions,
  type JitterOutput,
  type JitterStats,
} from "./jitter-buffer.js";
export {
  OPUS_RTP_CLOCK_HZ,
  OPUS_SAMPLE_RATES,
  OpusDecoder,
  OpusEncoder,
  type OpusEncoderOptions,
  type OpusSampleRateHz,
  preloadOpus,
} from "./opus.js";
export { OutboundAudio, type OutboundAudioOptions, type RtpTarget } from "./outbound.js";
export { NodeDataChannelBackend } from "./rtc/node-datachannel.js";
export type {
  RtcAnswerRequest,
  RtcAudioTrackInit,
  RtcBackend,
  RtcConfig,
  RtcDirection,
  RtcPeer,
  RtcPeerConnection,
  RtcPeerConnectionEvents,
  RtcPeerEvents,
  RtcPeerFactory,
  RtcPeerState,
  RtcTrack,
  RtcTrackEvents,
} from "./rtc/types.js";
export { buildRtp, isRtcp, parseRtp, type RtpPacket, seqDelta } from "./rtp.js";
export {
  OfferError,
  type SdpCandidate,
  type SdpDirection,
  type SdpMediaSection,
  sdpMediaSections,
  splitCandidates,
} from "./sdp.js";
export {
  type I420Image,
  i420ToRgb,
  rgbToI420,
  scaledSize,
} from "./video/image.js";
export {
  VideoReceiver,
  type VideoReceiverOptions,
  type VideoReceiverStats,
} from "./video/receiver.js";
export { buildPli } from "./video/rtcp.js";
export { VideoSender, type VideoSenderOptions } from "./video/sender.js";
export {
  packetizeVp8,
  parseVp8Descriptor,
  VIDEO_RTP_CLOCK_HZ,
  Vp8Depacketizer,
  type Vp8Descriptor,
  type Vp8Frame,
  vp8KeyframeInfo,
} from "./video/vp8-rtp.js";
export {
  type EncodedVp8,
  libvpxInstallHint,
  loadLibvpx,
  Vp8Decoder,
  Vp8Encoder,
  type Vp8EncoderOptions,
  VpxError,
} from "./video/vpx.js";
