/**
 * The production clock and timers: performance.now() (monotonic) and one native timerfd armed
 * for the earliest deadline. libuv timers round to whole milliseconds, which alone would cost
 * up to a millisecond between a master-down deadline and the takeover, and jitter a 10 ms
 * advert cadence by 10 %.
 *
 * Every system call counts at scale (200 instances at 0.1 s are 2000 adverts a second), so the
 * timerfd is re-armed at most once per JavaScript turn, and only when the earliest live deadline
 * changed: a backup that moves its master-down deadline on every advert re-arms once and never
 * wakes up for the deadline it cancelled. Timers that allow it (see Timers.at) run a little early
 * when the timer is awake for an earlier deadline, so adverts that fall due together share a
 * wake-up.
 */
import { performance } from 'node:perf_hooks';
import type { NativePreciseTimer } from '../net/native.js';
import { EventQueue } from '../util/event-queue.js';
import type { Clock, Timers } from '../ports/index.js';

interface Pending {
  fn: () => void;
  /** The earliest moment it may run when the timer is awake anyway (deadline − earlyMs). */
  earliest: number;
  cancelled: boolean;
}

export type PreciseTimerFactory = (onFire: () => void) => NativePreciseTimer;

export class PreciseTime implements Clock, Timers {
  private readonly queue = new EventQueue<Pending>();
  private readonly timer: NativePreciseTimer;
  /** The deadline the timerfd is set for; undefined when it is not armed. */
  private armedFor: number | undefined;
  /** A re-arm is queued for the end of this turn (or the fire loop will do it). */
  private syncPending = false;
  private firing = false;
  private closed = false;
  private readonly syncLater = (): void => {
    this.syncPending = false;
    if (!this.firing) this.sync();
  };

  constructor(
    createTimer: PreciseTimerFactory,
    /** A timer callback that throws must not stop the others; the daemon logs it. */
    private readonly onError: (err: unknown) => void,
    /**
     * After each wake-up that ran an overdue timer: how late (ms) the most overdue one ran. A
     * starved daemon says so in its log (late-timers.ts).
     */
    private readonly onLate?: (lateMs: number) => void,
  ) {
    this.timer = createTimer(() => this.fire());
  }

  now(): number {
    return performance.now();
  }

  at(deadline: number, fn: () => void, earlyMs = 0): () => void {
    const pending: Pending = { fn, earliest: deadline - Math.max(0, earlyMs), cancelled: false };
    this.queue.push(deadline, pending);
    this.requestSync();
    return () => {
      if (pending.cancelled) return;
      pending.cancelled = true;
      this.requestSync();
    };
  }

  close(): void {
    this.closed = true;
    this.timer.close();
  }

  /** Coalesces the changes of one turn (a cancel and a new deadline, typically) into one re-arm. */
  private requestSync(): void {
    if (this.syncPending || this.firing || this.closed) return;
    this.syncPending = true;
    queueMicrotask(this.syncLater);
  }

  /** Sets the timerfd for the earliest live deadline, if it is not set for it already. */
  private sync(): void {
    if (this.closed) return;
    const next = this.earliestLive();
    if (next === this.armedFor) return;
    this.armedFor = next;
    if (next === undefined) this.timer.disarm();
    else this.timer.arm(next - performance.now());
  }

  /** Drops cancelled entries from the head of the queue; the earliest deadline still wanted. */
  private earliestLive(): number | undefined {
    for (;;) {
      const next = this.queue.peekHead();
      if (next === undefined || !next.value.cancelled) return next?.time;
      this.queue.pop();
    }
  }

  private fire(): void {
    // The timerfd is one-shot: it is disarmed now, whatever it was set for.
    this.armedFor = undefined;
    this.firing = true;
    let lateMs = 0;
    try {
      for (;;) {
        // Due, or allowed to run early and next in line: one wake-up serves both.
        const head = this.queue.peekHead();
        if (head === undefined) break;
        const now = performance.now();
        if (head.time > now && head.value.earliest > now && !head.value.cancelled) break;
        const entry = this.queue.pop()?.value;
        if (entry === undefined || entry.cancelled) continue;
        lateMs = Math.max(lateMs, now - head.time);
        try {
          entry.fn();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.firing = false;
    }
    this.sync();
    if (lateMs > 0) this.onLate?.(lateMs);
  }
}
