// `local.Vision`: the offline vision processor. A face detector and an object detector whose
// weights ship inside npm packages (@vladmandic/human: BlazeFace and CenterNet, run on
// TensorFlow.js's WebAssembly backend in a worker thread), plus colour sampling. It answers what
// such models can truthfully answer: how many people are in view, the colour of the clothes
// under the nearest face, common objects, the main colour in the middle of the picture.
import { Worker } from "node:worker_threads";
import {
  CallwrightError,
  type Processor,
  type ProcessorContext,
  type VideoFrame,
  type VideoState,
  type WarmupOptions,
} from "callwright";
import { colourName, meanColour } from "./colour.js";

export interface LocalVisionOptions {
  /** Width the frames are scaled to before detection (aspect kept). */
  widthPx: number;
  /** `"turn"`: one frame when someone starts speaking; `"continuous"`: `fps` frames a second. */
  when: "turn" | "continuous";
  /** Frames a second in continuous mode. */
  fps: number;
  /** A scene older than this is not described (the picture may have changed). */
  maxSceneAgeMs: number;
}

export const defaultLocalVisionOptions = {
  widthPx: 640,
  when: "turn",
  fps: 1,
  maxSceneAgeMs: 15_000,
} as const satisfies LocalVisionOptions;

/** What one look at a participant's picture found. */
export interface Scene {
  atMs: number;
  widthPx: number;
  heightPx: number;
  /** Faces found, largest (nearest) first. */
  faces: { box: [number, number, number, number]; score: number }[];
  /** People: the larger of the face count and the object detector's "person" count. */
  people: number;
  /** Colour of the clothes under the largest face, when there is room below it. */
  clothingColour: string | undefined;
  /** Colour of the middle of the picture. */
  centreColour: string;
  /** Things other than people the object detector found, most confident first, unique. */
  objects: string[];
  inferenceMs: number;
}

interface DetectResult {
  faces: { box: [number, number, number, number]; score: number }[];
  objects: { label: string; score: number; box: [number, number, number, number] }[];
  inferenceMs: number;
}

const WORKER_URL = new URL("../../workers/human-worker.mjs", import.meta.url);

/** One worker per process: every session's processor shares it (requests are queued in it). */
class VisionWorker {
  readonly #worker: Worker;
  readonly #ready: Promise<number>;
  readonly #waiting = new Map<number, { resolve: (r: DetectResult) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #users = 0;

  constructor() {
    this.#worker = new Worker(WORKER_URL);
    this.#worker.unref();
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.on("message", (message) => {
        if (message.type === "ready") resolve(message.loadMs);
        else if (message.type === "result" || message.type === "error") {
          const waiter = this.#waiting.get(message.id);
          if (message.type === "error" && waiter === undefined) reject(new Error(message.message));
          if (waiter === undefined) return;
          this.#waiting.delete(message.id);
          if (message.type === "result") waiter.resolve(message);
          else waiter.reject(new Error(`the vision model failed: ${message.message}`));
        }
      });
      this.#worker.on("error", (error) => {
        reject(error);
        for (const w of this.#waiting.values()) w.reject(error);
        this.#waiting.clear();
      });
    });
    this.#worker.postMessage({ type: "init" });
  }

  get ready(): Promise<number> {
    return this.#ready;
  }

  acquire(): void {
    this.#users += 1;
  }

  release(): boolean {
    this.#users -= 1;
    return this.#users <= 0;
  }

  async detect(frame: VideoFrame): Promise<DetectResult> {
    await this.#ready;
    const id = this.#nextId++;
    const data = frame.data.slice().buffer;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ type: "detect", id, width: frame.widthPx, height: frame.heightPx, data }, [
        data,
      ]);
    });
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}

let shared: VisionWorker | undefined;

/** The offline vision processor (docs/vision.md). */
export class Vision implements Processor {
  readonly name = "local-vision";
  readonly video: { fps: number; widthPx: number; when: "turn" | "continuous" };
  readonly options: LocalVisionOptions;
  readonly #scenes = new Map<string, Scene>();
  readonly #video = new Map<string, VideoState>();
  #context: ProcessorContext | undefined;
  #worker: VisionWorker | undefined;

  constructor(options: Partial<LocalVisionOptions> = {}) {
    this.options = { ...defaultLocalVisionOptions, ...options };
    this.video = { fps: this.options.fps, widthPx: this.options.widthPx, when: this.options.when };
  }

  /** Loads the models (about 1 s, plus 2–4 s compiling on the first inference). */
  async warmup(_options: WarmupOptions = {}): Promise<void> {
    const worker = this.#acquire();
    try {
      await worker.ready;
    } catch (cause) {
      throw new CallwrightError(
        `local.Vision: the vision model did not load (${(cause as Error).message}). It needs @vladmandic/human and @tensorflow/tfjs-backend-wasm, installed with @callwright/local.`,
        { code: "vision_model_missing", fault: "system", cause },
      );
    }
  }

  start(context: ProcessorContext): void {
    this.#context = context;
    this.#acquire();
  }

  videoState(participantId: string, state: VideoState): void {
    this.#video.set(participantId, state);
    if (!state.active) this.#scenes.delete(participantId);
  }

  async processFrame(frame: VideoFrame, participantId: string): Promise<void> {
    const worker = this.#acquire();
    const result = await worker.detect(frame);
    this.#context?.recordInference({ latencyMs: result.inferenceMs });
    this.#scenes.set(participantId, sceneOf(frame, result));
  }

  /** The latest scene of a participant (tests, custom agents). */
  scene(participantId: string): Scene | undefined {
    return this.#scenes.get(participantId);
  }

  describe(participantId: string | undefined): string | undefined {
    if (participantId === undefined) return undefined;
    const video = this.#video.get(participantId);
    const label = "Local vision (a face and object detector, not a language model):";
    if (video === undefined || !video.active) {
      return `${label} the speaker's camera is off, so nothing can be seen.`;
    }
    const scene = this.#scenes.get(participantId);
    if (scene === undefined || performance.now() - scene.atMs > this.options.maxSceneAgeMs) {
      return `${label} the speaker's ${video.source === "screen" ? "screen share" : "camera"} is on but no picture has been looked at yet.`;
    }
    const parts = [
      `${label} ${video.source === "screen" ? "a shared screen" : "the camera"} shows ${scene.people === 0 ? "no people" : scene.people === 1 ? "1 person" : `${scene.people} people`} (${scene.faces.length} ${scene.faces.length === 1 ? "face" : "faces"}).`,
    ];
    if (scene.clothingColour !== undefined)
      parts.push(`The person nearest the camera wears ${scene.clothingColour}.`);
    if (scene.objects.length > 0) parts.push(`Objects: ${scene.objects.join(", ")}.`);
    parts.push(`The middle of the picture is mostly ${scene.centreColour}.`);
    return parts.join(" ");
  }

  stop(): void {
    this.#scenes.clear();
    this.#video.clear();
    this.#context = undefined;
    this.#release();
  }

  async close(): Promise<void> {
    this.stop();
  }

  #acquire(): VisionWorker {
    if (this.#worker === undefined) {
      shared ??= new VisionWorker();
      this.#worker = shared;
      shared.acquire();
    }
    return this.#worker;
  }

  #release(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    // The last user's release keeps the worker loaded for the next session: loading the
    // models again costs seconds.
    worker?.release();
  }
}

/** Builds a scene from the detectors' answer and the picture's colours. */
export function sceneOf(frame: VideoFrame, result: DetectResult): Scene {
  const faces = [...result.faces].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
  const persons = result.objects.filter((o) => o.label === "person").length;
  const objects = [
    ...new Set(
      [...result.objects]
        .filter((o) => o.label !== "person")
        .sort((a, b) => b.score - a.score)
        .map((o) => o.label),
    ),
  ];
  let clothingColour: string | undefined;
  const face = faces[0];
  if (face !== undefined) {
    const [x, y, w, h] = face.box;
    // The chest: from a little under the chin, as wide as the shoulders start.
    const top = y + h * 1.25;
    const region = {
      x: x - w * 0.2,
      y: top,
      width: w * 1.4,
      height: Math.min(h * 1.2, frame.heightPx - top),
    };
    const mean = region.height >= h * 0.3 ? meanColour(frame, region) : undefined;
    if (mean !== undefined) clothingColour = colourName(mean);
  }
  const centre = meanColour(frame, {
    x: frame.widthPx * 0.3,
    y: frame.heightPx * 0.3,
    width: frame.widthPx * 0.4,
    height: frame.heightPx * 0.4,
  })!;
  return {
    atMs: frame.capturedAtMs,
    widthPx: frame.widthPx,
    heightPx: frame.heightPx,
    faces,
    people: Math.max(faces.length, persons),
    clothingColour,
    centreColour: colourName(centre),
    objects,
    inferenceMs: result.inferenceMs,
  };
}
