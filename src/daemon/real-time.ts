/**
 * The production clock and timers: performance.now() (monotonic) and one native timerfd armed
 * for the earliest deadline. libuv timers round to whole milliseconds, which alone would cost
 * up to a millisecond between a master-down deadline and the takeover, and jitter a 10 ms
 * advert cadence by 10 %.
 */
import { performance } from 'node:perf_hooks';
import type { NativePreciseTimer } from '../net/native.js';
import { EventQueue } from '../util/event-queue.js';
import type { Clock, Timers } from './ports.js';

interface Pending {
  fn: () => void;
  cancelled: boolean;
}

export type PreciseTimerFactory = (onFire: () => void) => NativePreciseTimer;

export class PreciseTime implements Clock, Timers {
  private readonly queue = new EventQueue<Pending>();
  private readonly timer: NativePreciseTimer;
  private armedFor: number | undefined;

  constructor(
    createTimer: PreciseTimerFactory,
    /** A timer callback that throws must not stop the others; the daemon logs it. */
    private readonly onError: (err: unknown) => void,
  ) {
    this.timer = createTimer(() => this.fire());
  }

  now(): number {
    return performance.now();
  }

  at(deadline: number, fn: () => void): () => void {
    const pending: Pending = { fn, cancelled: false };
    this.queue.push(deadline, pending);
    if (this.armedFor === undefined || deadline < this.armedFor) this.arm(deadline);
    // Cancelled entries stay in the heap until their time; they are skipped when popped.
    return () => {
      pending.cancelled = true;
    };
  }

  close(): void {
    this.timer.close();
  }

  private arm(deadline: number): void {
    this.armedFor = deadline;
    this.timer.arm(deadline - performance.now());
  }

  private fire(): void {
    this.armedFor = undefined;
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined) return;
      if (next > performance.now()) {
        this.arm(next);
        return;
      }
      const entry = this.queue.pop()?.value;
      if (entry === undefined || entry.cancelled) continue;
      try {
        entry.fn();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
