// Time: the monotonic clock and timers the voice loop schedules on, injectable so tests can
// step time by hand (FakeClock in callwright/testing).
export { type Clock, systemClock, Timer, type TimerHandle } from "./clock.js";
