/**
 * What the daemon's parts need from the outside world, declared by the consumer. The composition
 * root (daemon.ts) passes real implementations; tests pass fakes.
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

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Sends one encoded VRRP message to an IP destination; false when the kernel dropped it (ENOBUFS/EAGAIN). */
export interface AdvertSender {
  send(payload: Buffer, destination: string): boolean;
}

/** Puts an instance's VIPs on and off the interfaces. Must be idempotent; errors are logged inside. */
export interface VipHolder {
  take(): void;
  release(): void;
}

/** Gratuitous ARP / unsolicited NA bursts while master (garp_master_delay / repeat / refresh). */
export interface Announcer {
  /** Becoming master: a burst now, another after the delay, refreshes if configured. */
  start(): void;
  /** One burst now (API "send GARP now", lower-priority advert heard). */
  burst(): void;
  stop(): void;
  /** Frames sent so far. */
  readonly sent: number;
}
