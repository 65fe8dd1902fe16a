/**
 * The sender's bandwidth limit (`bandwidthLimit`): a token bucket over file bytes. Tokens accrue
 * at `rate` bytes/s up to `burst`; a send takes its size and may leave the bucket in debt, and
 * waits until the debt is paid back. Debt (instead of refusing sends larger than the bucket)
 * lets a 1 MiB whole-file frame pass a 100 KiB/s limit: it waits 10 s afterwards, so over any
 * window longer than one frame's time the rate holds. Concurrent sends queue behind each other's
 * debt in the order they asked. Only file content is metered: requests, replies and heartbeats
 * pass at once, so a slow limit never makes a live link look dead.
 */
import type { Clock, Timers } from '../ports/index.js';

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `rate` bytes per second (> 0); `burst` bytes may go at once after a quiet period. */
  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`The rate must be a positive number of bytes per second, got ${rate}`);
    if (!(burst > 0)) throw new RangeError(`The burst must be positive, got ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes `bytes` now; returns how many ms the caller must wait before sending them (0: at once). */
  take(bytes: number): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}

/** The bucket with waiting: `await throttle.pass(n)` returns when n bytes may be sent. */
export class Throttle {
  private readonly bucket: TokenBucket;

  constructor(
    readonly rate: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {
    // 100 ms of traffic (at least 16 KiB): smooth pacing, yet one small file never waits.
    this.bucket = new TokenBucket(rate, Math.max(16 * 1024, rate / 10), clock);
  }

  /** The largest piece a stream should send at once: about 100 ms of traffic (16 KiB..1 MiB). */
  get chunk(): number {
    return Math.min(1024 * 1024, Math.max(16 * 1024, Math.floor(this.rate / 10)));
  }

  pass(bytes: number): Promise<void> {
    const wait = this.bucket.take(bytes);
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => this.timers.at(this.clock.now() + wait, resolve));
  }
}
