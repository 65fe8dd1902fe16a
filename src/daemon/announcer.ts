/**
 * Gratuitous ARP / unsolicited NA while master, on keepalived's schedule: a burst of
 * garp_master_repeat frames per VIP at once, another burst after garp_master_delay, and
 * garp_master_refresh_repeat frames every garp_master_refresh if set. When a lower-priority
 * advert is heard: garp_lower_prio_repeat frames at once, again after garp_lower_prio_delay.
 */
import type { GarpConfig, LowerPriorityConfig } from '../config/model.js';
import type { Clock, Timers } from '../ports/index.js';
import type { Announcer } from './ports.js';

/** Sends one announcement per VIP of the instance; returns how many frames went out. */
export type AnnounceOnce = () => number;

export class ScheduledAnnouncer implements Announcer {
  private cancels: Array<() => void> = [];
  private frames = 0;
  /** A second lower-priority burst is scheduled (later adverts do not add more). */
  private lowerPriorityPending = false;

  constructor(
    private readonly garp: GarpConfig,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly announceOnce: AnnounceOnce,
    private readonly lowerPriority: Pick<LowerPriorityConfig, 'garpRepeat' | 'garpDelayMs'> = { garpRepeat: 0, garpDelayMs: 0 },
  ) {}

  get sent(): number {
    return this.frames;
  }

  start(): void {
    this.stop();
    this.repeat(this.garp.masterRepeat, this.clock.now());
    if (this.garp.masterDelayMs > 0) {
      this.schedule(this.clock.now() + this.garp.masterDelayMs, () => this.repeat(this.garp.masterRepeat, this.clock.now()));
    }
    if (this.garp.masterRefreshMs > 0) this.scheduleRefresh(this.clock.now() + this.garp.masterRefreshMs);
  }

  burst(): void {
    this.repeat(this.garp.masterRepeat, this.clock.now());
  }

  lowerPriorityHeard(): void {
    this.repeat(this.lowerPriority.garpRepeat, this.clock.now());
    if (this.lowerPriority.garpDelayMs <= 0 || this.lowerPriority.garpRepeat <= 0 || this.lowerPriorityPending) return;
    this.lowerPriorityPending = true;
    this.schedule(this.clock.now() + this.lowerPriority.garpDelayMs, () => {
      this.lowerPriorityPending = false;
      this.repeat(this.lowerPriority.garpRepeat, this.clock.now());
    });
  }

  stop(): void {
    for (const cancel of this.cancels) cancel();
    this.cancels = [];
    this.lowerPriorityPending = false;
  }

  private scheduleRefresh(at: number): void {
    this.schedule(at, () => {
      this.repeat(this.garp.masterRefreshRepeat, this.clock.now());
      this.scheduleRefresh(at + this.garp.masterRefreshMs);
    });
  }

  /** `count` rounds, vrrp_garp_interval apart (the first one now). */
  private repeat(count: number, from: number): void {
    for (let i = 0; i < count; i++) {
      if (i === 0 || this.garp.intervalMs <= 0) this.frames += this.announceOnce();
      else this.schedule(from + i * this.garp.intervalMs, () => (this.frames += this.announceOnce()));
    }
  }

  private schedule(at: number, fn: () => void): void {
    const cancel = this.timers.at(at, () => {
      this.cancels = this.cancels.filter((c) => c !== cancel);
      fn();
    });
    this.cancels.push(cancel);
  }
}
