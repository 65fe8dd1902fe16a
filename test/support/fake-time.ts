/** A fake monotonic clock with timers, for driving the daemon's parts deterministically. */
import type { Clock, Timers } from '../../src/ports/index.js';

export class FakeTime implements Clock, Timers {
  private current = 0;
  private seq = 0;
  private pending: Array<{ at: number; seq: number; fn: () => void }> = [];

  now(): number {
    return this.current;
  }

  at(deadline: number, fn: () => void): () => void {
    const entry = { at: deadline, seq: this.seq++, fn };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((e) => e !== entry);
    };
  }

  /** Advances to `to`, firing due timers in deadline order. */
  advanceTo(to: number): void {
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (next === undefined || next.at > to) break;
      this.pending.shift();
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = to;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  get timersPending(): number {
    return this.pending.length;
  }
}
