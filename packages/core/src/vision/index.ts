// Vision: processors on the call's video, and frames for LLMs that can see (docs/vision.md).
export { encodeJpeg } from "./jpeg.js";
export { defaultVisionOptions, estimatedImageTokens, type VisionOptions } from "./options.js";
export { scaleFrame } from "./scale.js";
export { VisionSession, type VisionSessionDeps } from "./vision-session.js";
