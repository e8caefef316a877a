// callwright/testing: fakes for every part of an agent, for users' tests and ours.
export { FakeConnection, FakeEdge, type FakeEdgeOptions } from "./fake-edge.js";
