// @callwright/provider-utils/testing: a kit for protocol-faithful provider fakes (HTTP, SSE and
// WebSocket on 127.0.0.1) with fault switches, which every provider's fake builds on.
export {
  ChunkWriter,
  defaultFaults,
  type FakeAnswer,
  type FakeFaults,
  type FakeHttpRequest,
  FakeHttpResponse,
  FakeServer,
  type FakeServerOptions,
  FakeSocket,
  SseWriter,
} from "./fake-server.js";
