import { TypedEmitter } from "@callwright/provider-utils";
import {
  type ChatMessage,
  type EdgeConnectionEvents,
  type Processor,
  type VideoFrame,
  type VideoState,
  type VideoSubscribeOptions,
  videoFrame,
} from "@callwright/spec";
import { describe, expect, test } from "vitest";
import { silentLogger } from "../log/index.js";
import { MetricsCollector } from "../metrics/collector.js";
import { defaultVisionOptions } from "./options.js";
import { VisionSession } from "./vision-session.js";

class VideoConnection extends TypedEmitter<EdgeConnectionEvents> {
  readonly call = { type: "default", id: "c" };
  readonly participants = new Map([["ada", { id: "ada" }]]);
  readonly outputSampleRateHz = 48000;
  readonly subscriptions = new Set<{ options: VideoSubscribeOptions; onFrame: (f: VideoFrame) => void }>();
  state: VideoState = { active: false };
  videoState(): VideoState {
    return this.state;
  }
  subscribeVideo(_id: string, options: VideoSubscribeOptions, onFrame: (f: VideoFrame) => void) {
    const sub = { options, onFrame };
    this.subscriptions.add(sub);
    return { close: () => this.subscriptions.delete(sub) };
  }
  sendAudio() {}
  clearAudio() {}
  sendEvent() {}
  async close() {}
  /** The camera shows a frame of `rgb` at each subscription's width. */
  show(rgb: [number, number, number]) {
    for (const sub of [...this.subscriptions]) {
      const w = sub.options.widthPx ?? 640;
      const h = Math.round((w * 3) / 4);
      const data = new Uint8Array(w * h * 3);
      for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
      sub.onFrame(videoFrame(data, w, h));
    }
  }
}

const turn = (text: string): ChatMessage[] => [
  { role: "system", content: "be brief" },
  { role: "user", content: text, participantId: "ada" },
];

describe("VisionSession", () => {
  test("a turn gets one fresh frame: processors see it at their size, the LLM gets it as JPEG once", async () => {
    const connection = new VideoConnection();
    const seen: string[] = [];
    const processor: Processor = {
      name: "colour",
      video: { fps: 1, widthPx: 64 },
      processFrame: (frame, id) => {
        seen.push(`${id}:${frame.widthPx}x${frame.heightPx}:${frame.data[0]}`);
      },
      describe: () => (seen.length > 0 ? "a red card fills the picture." : undefined),
    };
    const metrics = new MetricsCollector();
    const vision = new VisionSession({
      connection: connection as never,
      processors: [processor],
      options: defaultVisionOptions,
      metrics,
      logger: silentLogger,
    });
    // Camera off: speaking fetches nothing.
    vision.userSpeaking("ada");
    expect(connection.subscriptions.size).toBe(0);
    connection.state = { active: true, source: "camera" };
    connection.emit("video_state", "ada", connection.state);
    expect(connection.subscriptions.size).toBe(0); // nothing decoded until someone speaks
    vision.userSpeaking("ada");
    expect([...connection.subscriptions].map((s) => s.options)).toEqual([{ fps: 1, widthPx: 640 }]);
    connection.show([220, 10, 10]);
    expect(connection.subscriptions.size).toBe(0); // one frame, then the subscription ends
    await vision.settled(); // the JPEG encodes on sharp's threads
    expect(seen).toEqual(["ada:64x48:220"]);
    const request = vision.prepareRequest(turn("what colour is this"), "ada");
    expect(request.map((m) => m.role)).toEqual(["system", "system", "user"]);
    expect(request[1]!.content).toContain("a red card");
    const user = request[2] as Extract<ChatMessage, { role: "user" }>;
    expect(user.images).toHaveLength(1);
    expect(user.images![0]!.mediaType).toBe("image/jpeg");
    expect([...user.images![0]!.data.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(user.images![0]).toMatchObject({ widthPx: 640, heightPx: 480 });
    const snapshot = metrics.snapshot();
    expect(snapshot.video_frames_processed__total).toBe(1);
    expect(snapshot.vlm_inferences__total).toBe(1);
    expect(snapshot.vlm_input_tokens__total).toBeGreaterThan(0);
    expect(snapshot.video_processing_latency_ms__avg).toBeGreaterThan(0);
    // The next request of the same turn carries no picture again.
    const again = vision.prepareRequest(turn("and now"), "ada");
    expect((again.at(-1) as { images?: unknown }).images).toBeUndefined();
    vision.close();
  });

  test("a continuous processor watches while the video is on, and stops when it goes off or the call ends", () => {
    const connection = new VideoConnection();
    const frames: number[] = [];
    const vision = new VisionSession({
      connection: connection as never,
      processors: [
        {
          name: "tracker",
          video: { fps: 5, widthPx: 160, when: "continuous" },
          processFrame: (f) => void frames.push(f.widthPx),
        },
      ],
      options: { ...defaultVisionOptions, llmFrames: false },
      metrics: new MetricsCollector(),
      logger: silentLogger,
    });
    connection.state = { active: true, source: "screen" };
    connection.emit("video_state", "ada", connection.state);
    expect([...connection.subscriptions].map((s) => s.options)).toEqual([{ fps: 5, widthPx: 160 }]);
    connection.show([0, 0, 0]);
    expect(frames).toEqual([160]);
    connection.emit("video_state", "ada", { active: false });
    expect(connection.subscriptions.size).toBe(0);
    connection.emit("video_state", "ada", { active: true, source: "camera" });
    expect(connection.subscriptions.size).toBe(1);
    vision.close();
    expect(connection.subscriptions.size).toBe(0);
    expect(connection.listenerCount("video_state")).toBe(0);
  });
});
