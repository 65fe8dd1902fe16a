/**
 * Deliveries (alert mails, webhook POSTs) in order, one at a time, each retried with exponential
 * backoff up to a bound, behind a bounded queue: enqueue() returns at once, so the protocol never
 * waits for a mail server or a receiver; when the queue is full the oldest waiting delivery is
 * dropped (and reported), so a dead receiver costs bounded memory.
 */
import type { Clock, Timers } from '../ports/index.js';

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** Wait before the first retry; doubled for each next one. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/** Delay before retry number `retry` (1-based): first, 2×first, 4×first, ... capped. */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (retry - 1));
}

export interface DeliveryOutcome<T> {
  item: T;
  ok: boolean;
  attempts: number;
  /** The last failure. */
  error?: unknown;
  /** Dropped unsent: the queue overflowed, or it was closed. */
  dropped?: 'overflow' | 'closed';
}

export interface RetryQueueOptions<T> {
  /** Sends one item; throws to fail the attempt. */
  deliver: (item: T, attempt: number) => Promise<void>;
  /** A failure retrying cannot cure (a 4xx from a webhook, a 5xx SMTP reply): no more attempts. */
  isPermanent?: (error: unknown) => boolean;
  policy: RetryPolicy;
  /** Waiting items (not counting the one being delivered). */
  capacity: number;
  clock: Clock;
  timers: Timers;
  /** Told of every attempt's failure (attempt number, whether another follows). */
  onAttemptFailed?: (item: T, attempt: number, error: unknown, willRetry: boolean) => void;
  /** Told of every item's end: delivered, given up, or dropped. */
  onDone?: (outcome: DeliveryOutcome<T>) => void;
}

export class RetryQueue<T> {
  private readonly waiting: T[] = [];
  private busy = false;
  private active = false;
  private closed = false;
  private cancelWait: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: RetryQueueOptions<T>) {}

  /** Queues an item; never waits. */
  enqueue(item: T): void {
    if (this.closed) {
      this.options.onDone?.({ item, ok: false, attempts: 0, dropped: 'closed' });
      return;
    }
    this.waiting.push(item);
    if (this.waiting.length > this.options.capacity) {
      const dropped = this.waiting.shift() as T;
      this.options.onDone?.({ item: dropped, ok: false, attempts: 0, dropped: 'overflow' });
    }
    if (!this.busy) {
      this.busy = true;
      // A later turn: the caller (a state change) finishes first.
      setImmediate(() => void this.drain());
    }
  }

  /** Items waiting or being delivered. */
  get pending(): number {
    return this.waiting.length + (this.active ? 1 : 0);
  }

  /** Resolves once nothing is waiting or being delivered. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: waiting items are dropped (reported), a retry wait ends at once; the delivery under way
   * finishes its current attempt. Resolves when it has.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const item of this.waiting.splice(0)) this.options.onDone?.({ item, ok: false, attempts: 0, dropped: 'closed' });
      this.cancelWait?.();
      this.wake?.();
    }
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let item = this.waiting.shift(); item !== undefined; item = this.closed ? undefined : this.waiting.shift()) {
      this.active = true;
      const outcome = await this.deliver(item);
      this.active = false;
      this.options.onDone?.(outcome);
    }
    this.busy = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async deliver(item: T): Promise<DeliveryOutcome<T>> {
    const { policy } = this.options;
    let error: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.deliver(item, attempt);
        return { item, ok: true, attempts: attempt };
      } catch (err) {
        error = err;
      }
      const permanent = this.options.isPermanent?.(error) ?? false;
      const willRetry = !permanent && !this.closed && attempt <= policy.retries;
      this.options.onAttemptFailed?.(item, attempt, error, willRetry);
      if (!willRetry) return { item, ok: false, attempts: attempt, error };
      await this.wait(backoffDelay(policy, attempt));
      if (this.closed) return { item, ok: false, attempts: attempt, error, dropped: 'closed' };
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.cancelWait = undefined;
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.cancelWait = this.options.timers.at(this.options.clock.now() + ms, done);
    });
  }
}
