/**
 * Kernel receive times on the daemon's clock. The addon reports them on CLOCK_MONOTONIC in ms;
 * performance.now() runs on the same clock (libuv's hrtime) from another origin, which is
 * constant: one reading of both gives it.
 */
import { performance } from 'node:perf_hooks';

/** Converts CLOCK_MONOTONIC ms (as the addon reports) to performance.now() ms. */
export function monotonicToPerformance(): (monotonicMs: number) => number {
  const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  return (monotonicMs) => monotonicMs - offset;
}
