// The SFU's RPC methods (Twirp: `POST <base>/stream.video.sfu.signal.SignalServer/<Method>`), with
// the schemas of their requests and answers. Shared by our client and FakeStream's server.
import type { DescMessage } from "@bufbuild/protobuf";
import { models, signal } from "../proto/index.js";

export const TWIRP_SERVICE = "stream.video.sfu.signal.SignalServer";

export const TWIRP_METHODS = {
  SetPublisher: { input: signal.SetPublisherRequestSchema, output: signal.SetPublisherResponseSchema },
  SendAnswer: { input: signal.SendAnswerRequestSchema, output: signal.SendAnswerResponseSchema },
  IceTrickle: { input: models.ICETrickleSchema, output: signal.ICETrickleResponseSchema },
  UpdateSubscriptions: {
    input: signal.UpdateSubscriptionsRequestSchema,
    output: signal.UpdateSubscriptionsResponseSchema,
  },
  UpdateMuteStates: {
    input: signal.UpdateMuteStatesRequestSchema,
    output: signal.UpdateMuteStatesResponseSchema,
  },
  IceRestart: { input: signal.ICERestartRequestSchema, output: signal.ICERestartResponseSchema },
  SendStats: { input: signal.SendStatsRequestSchema, output: signal.SendStatsResponseSchema },
} as const satisfies Record<string, { input: DescMessage; output: DescMessage }>;

export type TwirpMethod = keyof typeof TWIRP_METHODS;
