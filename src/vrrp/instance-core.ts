/**
 * One VRRP instance's policy around the protocol machine, pure like it: events in, effects out,
 * deadlines instead of timers. It owns what is hotstandby's (and keepalived's) rather than the
 * RFC's — the effective priority (configured priority plus named offsets from tracking, clamped,
 * maintenance), the planned hand-over of maintenance, and when VIPs are let go after leaving
 * MASTER (at once; after a drain on a planned hand-over; when the new master is heard after a
 * shutdown) — so the simulator's properties cover it and the runner only carries effects out.
 */
import { type Effect, type MachineConfig, type MachineEvent, OWNER_PRIORITY, VrrpMachine, type VrrpState } from './state-machine.js';
import { masterDownIntervalMs } from './timers.js';

/** How long a node handing over for maintenance keeps its VIPs after the peer took over. */
export const MAINTENANCE_DRAIN_MS = 300;
/** Maintenance: how long a master waits for a peer to take over before leaving with priority 0, beyond 3 intervals. */
export const MAINTENANCE_HANDOVER_EXTRA_MS = 250;

export type CoreEvent =
  | Exclude<MachineEvent, { type: 'priority' } | { type: 'hold' } | { type: 'reload' } | { type: 'fault' } | { type: 'recover' }>
  /** One named contribution to the priority (tracked interfaces, checks); 0 removes it. */
  | { type: 'priority-offset'; source: string; offset: number }
  /** Planned switchover on or off (see maintenance()). */
  | { type: 'maintenance'; on: boolean }
  /** The configuration was reloaded in place; `priority` is the configured one now. */
  | { type: 'reload'; priority: number }
  /** Sets (reason) or clears (undefined) one named fault source: FAULT while any is set. */
  | { type: 'fault-source'; source: string; reason: string | undefined };

export type CoreEffect =
  | Effect
  /** Leaving MASTER: no more GARPs, even while the VIPs are still held (drain, hand-over). */
  | { type: 'stop-announcing' };

export class VrrpInstance {
  readonly machine: VrrpMachine;
  private basePriority: number;
  private readonly offsets = new Map<string, number>();
  private readonly faults = new Map<string, string>();
  private inMaintenance = false;
  private stopping = false;
  /** Maintenance: when a master that nobody displaced steps down. */
  private handoverAt: number | undefined;
  /** When VIPs still held after leaving MASTER are let go. */
  private releaseAt: number | undefined;
  /** After a shutdown: the first advert of a new master lets the VIPs go. */
  private releaseOnAdvert = false;

  constructor(private readonly config: MachineConfig) {
    this.machine = new VrrpMachine(config);
    this.basePriority = config.priority;
  }

  get state(): VrrpState {
    return this.machine.state;
  }

  get maintenance(): boolean {
    return this.inMaintenance;
  }

  /** VIPs are still held after leaving MASTER (a drain or a shutdown hand-over runs). */
  get releasePending(): boolean {
    return this.releaseAt !== undefined;
  }

  /** A master in maintenance is waiting for a peer to take over. */
  get handingOver(): boolean {
    return this.handoverAt !== undefined;
  }

  /** Names of the fault sources now set. */
  faultSources(): string[] {
    return [...this.faults.keys()];
  }

  /** Contributions by source, for status. */
  priorityOffsets(): Record<string, number> {
    return Object.fromEntries(this.offsets);
  }

  nextDeadline(): number | undefined {
    const deadlines = [this.machine.nextDeadline(), this.handoverAt, this.releaseAt].filter((d): d is number => d !== undefined);
    return deadlines.length === 0 ? undefined : Math.min(...deadlines);
  }

  /** The machine's slack when its deadline is the next one; our own deadlines are exact. */
  nextDeadlineSlack(): number {
    const own = Math.min(this.handoverAt ?? Infinity, this.releaseAt ?? Infinity);
    const machine = this.machine.nextDeadline();
    return machine !== undefined && machine - this.machine.nextDeadlineSlack() < own ? this.machine.nextDeadlineSlack() : 0;
  }

  handle(now: number, event: CoreEvent): CoreEffect[] {
    switch (event.type) {
      case 'priority-offset':
        if (event.offset === 0) this.offsets.delete(event.source);
        else this.offsets.set(event.source, event.offset);
        return this.applyPriority(now);
      case 'maintenance':
        return this.maintenanceChanged(now, event.on);
      case 'fault-source': {
        const wasFaulted = this.faults.size > 0;
        if (event.reason === undefined) this.faults.delete(event.source);
        else this.faults.set(event.source, event.reason);
        const faulted = this.faults.size > 0;
        if (faulted && !wasFaulted) return this.forward(now, { type: 'fault', reason: event.reason ?? event.source });
        if (!faulted && wasFaulted) return this.forward(now, { type: 'recover', reason: `${event.source} recovered` });
        return [];
      }
      case 'reload':
        this.basePriority = event.priority;
        return [...this.forward(now, { type: 'reload' }), ...this.applyPriority(now)];
      case 'shutdown':
        this.stopping = true;
        return this.forward(now, event);
      case 'advert': {
        // Stopping after our priority-0 advert: the first advert of the new master ends the hand-over.
        const released = this.releaseOnAdvert && event.advert.priority > 0 ? this.releaseNow() : [];
        return [...released, ...this.forward(now, event)];
      }
      case 'timer':
        return [...this.ownDeadlines(now), ...this.forward(now, event)];
      default:
        return this.forward(now, event);
    }
  }

  /**
   * Planned switchover. On: hold (a backup never takes over) and priority 1, so a preempting peer
   * takes over after its Skew_Time while we still serve; a master that nobody displaced within
   * 3 intervals + 250 ms leaves with priority 0. Off: the computed priority, listening again.
   */
  private maintenanceChanged(now: number, on: boolean): CoreEffect[] {
    if (on === this.inMaintenance) return [];
    this.inMaintenance = on;
    const effects = [...this.forward(now, { type: 'hold', on }), ...this.applyPriority(now)];
    this.handoverAt = on && this.machine.state === 'MASTER' ? now + 3 * this.config.advertIntervalMs + MAINTENANCE_HANDOVER_EXTRA_MS : undefined;
    return effects;
  }

  /** Configured priority plus the offsets, clamped to 1..254; 1 in maintenance; an owner's 255 never changes. */
  private applyPriority(now: number): CoreEffect[] {
    if (this.basePriority === OWNER_PRIORITY) return [];
    let priority = this.basePriority;
    for (const offset of this.offsets.values()) priority += offset;
    if (this.inMaintenance) priority = 1;
    return this.forward(now, { type: 'priority', priority: Math.min(OWNER_PRIORITY - 1, Math.max(1, Math.round(priority))) });
  }

  private ownDeadlines(now: number): CoreEffect[] {
    const effects: CoreEffect[] = [];
    if (this.handoverAt !== undefined && now >= this.handoverAt) {
      this.handoverAt = undefined;
      if (this.inMaintenance) effects.push(...this.forward(now, { type: 'step-down', reason: 'maintenance: no peer took over, leaving with priority 0' }));
    }
    if (this.releaseAt !== undefined && now >= this.releaseAt) effects.push(...this.releaseNow());
    return effects;
  }

  private releaseNow(): CoreEffect[] {
    this.releaseAt = undefined;
    this.releaseOnAdvert = false;
    return this.machine.state === 'MASTER' ? [] : [{ type: 'remove-vips' }];
  }

  /** The machine's effects, with the VIP release timed by policy. */
  private forward(now: number, event: MachineEvent): CoreEffect[] {
    const effects: CoreEffect[] = [];
    for (const effect of this.machine.handle(now, event)) {
      if (effect.type === 'add-vips') {
        this.releaseAt = undefined;
        this.releaseOnAdvert = false;
      }
      if (effect.type !== 'remove-vips') {
        effects.push(effect);
        continue;
      }
      effects.push({ type: 'stop-announcing' });
      if (this.inMaintenance) {
        // The peer's GARPs have moved the clients, but requests already on their way still arrive.
        this.releaseAt = now + MAINTENANCE_DRAIN_MS;
      } else if (this.stopping) {
        // Still serving until a backup takes over after its Skew_Time, or the longest
        // Master_Down_Interval (priority 1) if nobody comes.
        this.releaseOnAdvert = true;
        this.releaseAt = now + masterDownIntervalMs(this.config.version, 1, this.config.advertIntervalMs);
      } else {
        effects.push(effect);
      }
    }
    if (this.machine.state !== 'MASTER') this.handoverAt = undefined;
    return effects;
  }
}
