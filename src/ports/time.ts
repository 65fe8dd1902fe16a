/**
 * Time as every subsystem sees it: a monotonic clock and one-shot timers. The composition root
 * passes the real ones (src/daemon/real-time.ts); tests pass a fake clock.
 */

/** Monotonic milliseconds (performance.now() in production). */
export interface Clock {
  now(): number;
}

/** One-shot timers on the monotonic clock. */
export interface Timers {
  /**
   * Calls fn at `deadline` (monotonic ms) or as soon after as possible; returns a cancel function.
   * With `earlyMs`, fn may run up to that much before the deadline when the timers wake up
   * for another deadline anyway (fewer wake-ups); implementations may ignore it.
   */
  at(deadline: number, fn: () => void, earlyMs?: number): () => void;
}
