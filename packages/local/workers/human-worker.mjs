// The offline vision model's thread: @vladmandic/human (MIT) on TensorFlow.js's WebAssembly
// backend, with the weights that ship inside the npm package (models/blazeface.json: faces,
// models/centernet.json: 80 kinds of objects incl. people). Nothing is fetched: a load router
// reads model files from disk. Runs in a worker so a 100–400 ms inference never blocks the
// event loop that paces the agent's audio.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parentPort } from "node:worker_threads";

const require = createRequire(import.meta.url);
const tf = require("@tensorflow/tfjs-core");
const wasm = require("@tensorflow/tfjs-backend-wasm");
const wasmDir = `${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`;
// Human's "exports" names only its default entry (the tfjs-node build); the WebAssembly build sits beside it.
const humanDir = join(dirname(require.resolve("@vladmandic/human")), "..");
const { Human } = require(join(humanDir, "dist", "human.node-wasm.js"));

wasm.setWasmPaths(wasmDir);
tf.io.registerLoadRouter((url) => {
  const path = Array.isArray(url) ? url[0] : url;
  if (typeof path !== "string" || !path.startsWith("file://")) return null;
  return {
    load: async () => {
      const file = path.slice("file://".length);
      const json = JSON.parse(readFileSync(file, "utf8"));
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(readFileSync(join(dirname(file), p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
});

const human = new Human({
  backend: "wasm",
  wasmPath: wasmDir,
  modelBasePath: `file://${join(humanDir, "models")}/`,
  debug: false,
  async: true,
  warmup: "none",
  cacheSensitivity: 0,
  filter: { enabled: false },
  face: {
    enabled: true,
    detector: { rotation: false, maxDetected: 10, minConfidence: 0.4, return: false },
    mesh: { enabled: false },
    attention: { enabled: false },
    iris: { enabled: false },
    description: { enabled: false },
    emotion: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
  },
  body: { enabled: false },
  hand: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
  object: { enabled: true, minConfidence: 0.35, maxDetected: 20 },
});

let ready;

async function detect(width, height, data) {
  const tensor = human.tf.tensor3d(data, [height, width, 3], "int32");
  try {
    const result = await human.detect(tensor);
    return {
      faces: result.face.map((f) => ({ box: f.box, score: f.boxScore ?? f.score })),
      objects: result.object.map((o) => ({ label: o.label, score: o.score, box: o.box })),
    };
  } finally {
    human.tf.dispose(tensor);
  }
}

parentPort.on("message", async (message) => {
  try {
    if (message.type === "init") {
      const startedAt = performance.now();
      ready ??= (async () => {
        await human.load();
        // The first inference compiles the kernels (seconds): pay for it here, not on a turn.
        await detect(64, 48, new Int32Array(64 * 48 * 3));
      })();
      await ready;
      parentPort.postMessage({ type: "ready", loadMs: performance.now() - startedAt });
    } else if (message.type === "detect") {
      await ready;
      const startedAt = performance.now();
      const result = await detect(
        message.width,
        message.height,
        new Int32Array(new Uint8Array(message.data)),
      );
      parentPort.postMessage({
        type: "result",
        id: message.id,
        ...result,
        inferenceMs: performance.now() - startedAt,
      });
    }
  } catch (error) {
    parentPort.postMessage({ type: "error", id: message.id, message: String(error?.stack ?? error) });
  }
});
