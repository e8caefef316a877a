// Voice activity detection: the model interface (speech probability per frame) and the core's
// default energy detector. The hysteresis that turns probabilities into speech lives in voice/.

export type { VadModel, VadStream, WarmupOptions } from "@callwright/spec";
export { defaultEnergyVadOptions, EnergyVad, type EnergyVadOptions } from "./energy.js";
