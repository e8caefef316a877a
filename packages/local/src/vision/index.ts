// Offline vision: a face and object detector shipped in npm packages, as an agent processor.
export { colourName, meanColour } from "./colour.js";
export { defaultLocalVisionOptions, type LocalVisionOptions, type Scene, Vision } from "./local-vision.js";
