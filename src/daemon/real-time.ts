/** The production clock and timers: performance.now() (monotonic) and libuv timers. */
import { performance } from 'node:perf_hooks';
import type { Clock, Timers } from './ports.js';

export class RealTime implements Clock, Timers {
  now(): number {
    return performance.now();
  }

  at(deadline: number, fn: () => void): () => void {
    // libuv timers have millisecond resolution; round up so we never wake before the deadline.
    const handle = setTimeout(fn, Math.max(0, Math.ceil(deadline - performance.now())));
    return () => clearTimeout(handle);
  }
}
