// The SFU's messages, generated from our own .proto subset (../../proto) by protoc-gen-es.
export * as events from "./gen/video/sfu/event/events_pb.js";
export * as models from "./gen/video/sfu/models/models_pb.js";
export * as signal from "./gen/video/sfu/signal_rpc/signal_pb.js";
