/**
 * The clock every time-dependent part takes as a parameter, so tests can drive time
 * without sleeping. `now` is wall time for timestamps; `monotonic` is for intervals.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch, for timestamps that people read. */
  now(): number;
  /** Monotonic milliseconds, for leases, timeouts and intervals. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
