// Our .proto subset must put every field and enum value at the number Stream publishes: a wrong
// number is silently a different field on the wire. The table was read from GetStream/protocol's
// published .proto files (see its `source`); this walks the descriptors generated from our own
// .proto files and checks both ways (nothing of ours is missing from the table, and the reverse).
import { createRegistry } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { file_video_sfu_event_events } from "./gen/video/sfu/event/events_pb.js";
import { file_video_sfu_models_models } from "./gen/video/sfu/models/models_pb.js";
import { file_video_sfu_signal_rpc_signal } from "./gen/video/sfu/signal_rpc/signal_pb.js";
import published from "./published-numbers.json" with { type: "json" };

function ourNumbers(): Map<string, number> {
  const registry = createRegistry(
    file_video_sfu_models_models,
    file_video_sfu_signal_rpc_signal,
    file_video_sfu_event_events,
  );
  const out = new Map<string, number>();
  for (const type of registry) {
    if (!type.typeName.startsWith("stream.video.sfu.")) continue;
    if (type.kind === "message") {
      for (const field of type.fields) out.set(`${type.typeName}.${field.name}`, field.number);
    } else if (type.kind === "enum") {
      for (const value of type.values) out.set(`${type.typeName}.${value.name}`, value.number);
    }
  }
  return out;
}

describe("proto field numbers", () => {
  const ours = ourNumbers();
  const theirs = new Map(Object.entries(published.numbers));

  test("every field and enum value of ours has Stream's published number", () => {
    const wrong = [...ours].filter(([name, n]) => theirs.get(name) !== n).map(([name, n]) => `${name}=${n}`);
    expect(wrong).toEqual([]);
    expect(ours.size).toBeGreaterThan(250);
  });

  test("the table and our subset list the same names (the test covers all of ours)", () => {
    expect([...theirs.keys()].filter((name) => !ours.has(name))).toEqual([]);
  });

  test("a few numbers the edge depends on, spelled out", () => {
    expect(ours.get("stream.video.sfu.event.SfuEvent.join_response")).toBe(13);
    expect(ours.get("stream.video.sfu.event.SfuEvent.call_ended")).toBe(23);
    expect(ours.get("stream.video.sfu.event.SfuRequest.leave_call_request")).toBe(3);
    expect(ours.get("stream.video.sfu.models.Participant.track_lookup_prefix")).toBe(5);
    expect(ours.get("stream.video.sfu.models.Codec.payload_type")).toBe(16);
    expect(ours.get("stream.video.sfu.models.ErrorCode.ERROR_CODE_SFU_FULL")).toBe(700);
  });
});
