/**
 * One VRRP instance's policy around the protocol machine, pure like it: events in, effects out,
 * deadlines instead of timers. It owns what is hotstandby's (and keepalived's) rather than the
 * RFC's — the effective priority (configured priority plus named offsets from tracking, clamped,
 * maintenance), the planned hand-over of maintenance, and when VIPs are let go after leaving
 * MASTER (at once; after a drain on a planned hand-over; when the new master is heard after a
 * shutdown) — so the simulator's properties cover it and the runner only carries effects out.
 */
import { type Effect, type MachineConfig, type MachineEvent, OWNER_PRIORITY, VrrpMachine, type VrrpState } from './state-machine.js';
import { keepVips, keptVipsReleaseAt, mayKeepVips, type FaultCause, type KeptVips } from './kept-vips.js';
import { masterDownIntervalMs } from './timers.js';

/** How long a node handing over for maintenance keeps its VIPs after the peer took over. */
export const MAINTENANCE_DRAIN_MS = 300;
/** Maintenance: how long a master waits for a peer to take over before leaving with priority 0, beyond 3 intervals. */
export const MAINTENANCE_HANDOVER_EXTRA_MS = 250;

export type CoreEvent =
  | Exclude<MachineEvent, { type: 'priority' } | { type: 'hold' } | { type: 'reload' } | { type: 'fault' } | { type: 'recover' }>
  /** One named contribution to the priority (tracked interfaces, checks); 0 removes it. */
  | { type: 'priority-offset'; source: string; offset: number }
  /**
   * Planned switchover on or off (see maintenanceChanged()). `force`: leave even when no peer
   * takes over (the instance then has no master until maintenance is off again).
   */
  | { type: 'maintenance'; on: boolean; force?: boolean }
  /** The configuration was reloaded in place; `priority` is the configured one now. */
  | { type: 'reload'; priority: number }
  /**
   * Sets (reason) or clears (undefined) one named fault source: FAULT while any is set.
   * `serviceDown`: the fault is only that a service behind the VIPs is certainly down (refuses
   * connections): a master going FAULT for such faults alone keeps its VIPs a while (kept-vips.ts).
   */
  | { type: 'fault-source'; source: string; reason: string | undefined; serviceDown?: boolean }
  /** The peer's service was seen active (PostgreSQL answers as primary): kept VIPs may go (kept-vips.ts). */
  | { type: 'peer-active' };

export type CoreEffect =
  | Effect
  /** Leaving MASTER: no more GARPs, even while the VIPs are still held (drain, hand-over). */
  | { type: 'stop-announcing' };

/**
 * How the last maintenance hand-over ended: a peer took over ('handed-over'); nobody did and
 * the instance went back to serving, maintenance off ('no-peer'); nobody did and it left all
 * the same because it was forced ('left-without-peer').
 */
export type HandoverOutcome = 'handed-over' | 'no-peer' | 'left-without-peer';

export class VrrpInstance {
  readonly machine: VrrpMachine;
  private basePriority: number;
  private readonly offsets = new Map<string, number>();
  private readonly faults = new Map<string, { reason: string } & FaultCause>();
  /** FAULT with the VIPs kept because the service behind them is certainly down (kept-vips.ts). */
  private kept: KeptVips | undefined;
  private inMaintenance = false;
  private stopping = false;
  /** Maintenance: when a master that nobody displaced steps down. */
  private handoverAt: number | undefined;
  /** When VIPs still held after leaving MASTER are let go. */
  private releaseAt: number | undefined;
  /** After a shutdown: the first advert of a new master lets the VIPs go. */
  private releaseOnAdvert = false;
  /**
   * Maintenance: stepped down with priority 0 and still holding the VIPs until a new master is
   * heard (releaseAt is then the end of the wait); nobody by then: back to MASTER (see
   * ownDeadlines), unless the hand-over was forced.
   */
  private awaitingSuccessor = false;
  private forceHandover = false;
  private stepDownPending = false;
  private lastHandover: HandoverOutcome | undefined;

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

  /** A master in maintenance is waiting for a peer to take over (also after its priority-0 advert). */
  get handingOver(): boolean {
    return this.handoverAt !== undefined || this.awaitingSuccessor;
  }

  /** How the last hand-over ended (undefined before the first, or while one runs). */
  get handoverOutcome(): HandoverOutcome | undefined {
    return this.lastHandover;
  }

  /** The VIPs are kept after a FAULT for a service certainly down (kept-vips.ts): since when, until when at the latest. */
  get keptVips(): { since: number; releaseAt: number; peerMaster: boolean; peerActive: boolean } | undefined {
    return this.kept && { since: this.kept.since, releaseAt: keptVipsReleaseAt(this.kept), peerMaster: this.kept.peerMasterAt !== undefined, peerActive: this.kept.peerActiveAt !== undefined };
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
        return this.maintenanceChanged(now, event.on, event.force === true);
      case 'fault-source': {
        const wasFaulted = this.faults.size > 0;
        if (event.reason === undefined) this.faults.delete(event.source);
        else this.faults.set(event.source, { reason: event.reason, serviceDown: event.serviceDown === true });
        const faulted = this.faults.size > 0;
        if (faulted && !wasFaulted) return this.forward(now, { type: 'fault', reason: event.reason ?? event.source });
        if (!faulted && wasFaulted) return [...this.forward(now, { type: 'recover', reason: `${event.source} recovered` }), ...(this.kept ? this.releaseNow() : [])];
        // Kept only while every cause is a service certainly down: any other lets the VIPs go at once.
        if (this.kept && !mayKeepVips(this.faults.values())) return this.releaseNow();
        return [];
      }
      case 'peer-active':
        if (!this.kept || this.kept.peerActiveAt !== undefined) return [];
        this.kept = { ...this.kept, peerActiveAt: now };
        return this.keptChanged(now);
      case 'reload':
        this.basePriority = event.priority;
        return [...this.forward(now, { type: 'reload' }), ...this.applyPriority(now)];
      case 'shutdown':
        this.stopping = true;
        return this.forward(now, event);
      case 'advert': {
        if (this.awaitingSuccessor && event.advert.priority > 0) {
          // Maintenance: the peer took over after our priority-0 advert; the drain follows.
          this.awaitingSuccessor = false;
          this.releaseOnAdvert = false;
          this.releaseAt = now + MAINTENANCE_DRAIN_MS;
          this.lastHandover = 'handed-over';
          return this.forward(now, event);
        }
        // Stopping after our priority-0 advert: the first advert of the new master ends the hand-over.
        const released = this.releaseOnAdvert && event.advert.priority > 0 ? this.releaseNow() : [];
        // The first advert of a master after the fault (later ones must not push the release out).
        if (this.kept && event.advert.priority > 0 && this.kept.peerMasterAt === undefined) {
          this.kept = { ...this.kept, peerMasterAt: now };
          released.push(...this.keptChanged(now));
        }
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
   * 3 intervals + 250 ms steps down with priority 0 (a nopreempt peer takes over after its
   * Skew_Time) but keeps the VIPs until the new master is heard. If none is heard within the
   * longest Master_Down_Interval (priority 1), no peer can take over (none reachable, each one
   * FAULT or in maintenance): it serves again and maintenance ends, so a switchover never leaves
   * the instance without a master — unless `force`d. Off: the computed priority, listening again.
   */
  private maintenanceChanged(now: number, on: boolean, force: boolean): CoreEffect[] {
    if (on === this.inMaintenance) return [];
    this.inMaintenance = on;
    this.forceHandover = on && force;
    this.awaitingSuccessor = false;
    const effects = [...this.forward(now, { type: 'hold', on }), ...this.applyPriority(now)];
    this.handoverAt = on && this.machine.state === 'MASTER' ? now + 3 * this.config.advertIntervalMs + MAINTENANCE_HANDOVER_EXTRA_MS : undefined;
    if (this.handoverAt !== undefined) this.lastHandover = undefined;
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
      if (this.inMaintenance) {
        this.stepDownPending = true;
        effects.push(...this.forward(now, { type: 'step-down', reason: 'maintenance: no peer took over, leaving with priority 0' }));
        this.stepDownPending = false;
      }
    }
    if (this.releaseAt !== undefined && now >= this.releaseAt) {
      if (this.awaitingSuccessor) effects.push(...this.noSuccessor(now));
      else effects.push(...this.releaseNow());
    }
    return effects;
  }

  /** Stepped down for maintenance and no new master was heard: serve again, or leave if forced. */
  private noSuccessor(now: number): CoreEffect[] {
    this.awaitingSuccessor = false;
    // Forced, or no longer a held backup that could serve again (stopping, FAULT): let go.
    if (this.forceHandover || this.stopping || this.machine.state !== 'BACKUP') {
      this.lastHandover = 'left-without-peer';
      return this.releaseNow();
    }
    this.lastHandover = 'no-peer';
    this.releaseAt = undefined;
    this.releaseOnAdvert = false;
    this.inMaintenance = false;
    const waited = masterDownIntervalMs(this.config.version, 1, this.config.advertIntervalMs);
    return [
      ...this.forward(now, { type: 'hold', on: false }),
      ...this.applyPriority(now),
      ...this.forward(now, { type: 'sync', to: 'MASTER', reason: `maintenance refused: no peer took over within ${Math.round(waited)} ms of our priority-0 advert; serving again, maintenance off` }),
    ];
  }

  /** Kept VIPs: the release moves to what the peer's state now allows; at once when that is now. */
  private keptChanged(now: number): CoreEffect[] {
    if (!this.kept) return [];
    this.releaseAt = keptVipsReleaseAt(this.kept);
    return now >= this.releaseAt ? this.releaseNow() : [];
  }

  private releaseNow(): CoreEffect[] {
    this.releaseAt = undefined;
    this.releaseOnAdvert = false;
    this.kept = undefined;
    return this.machine.state === 'MASTER' ? [] : [{ type: 'remove-vips' }];
  }

  /** The machine's effects, with the VIP release timed by policy. */
  private forward(now: number, event: MachineEvent): CoreEffect[] {
    const effects: CoreEffect[] = [];
    for (const effect of this.machine.handle(now, event)) {
      if (effect.type === 'add-vips') {
        this.releaseAt = undefined;
        this.releaseOnAdvert = false;
        this.kept = undefined;
      }
      if (effect.type !== 'remove-vips') {
        effects.push(effect);
        continue;
      }
      effects.push({ type: 'stop-announcing' });
      if (this.inMaintenance && this.stepDownPending) {
        // Nobody displaced us: keep serving until a new master is heard (see noSuccessor).
        this.awaitingSuccessor = true;
        this.releaseAt = now + masterDownIntervalMs(this.config.version, 1, this.config.advertIntervalMs);
      } else if (this.inMaintenance) {
        this.lastHandover = 'handed-over';
        // The peer's GARPs have moved the clients, but requests already on their way still arrive.
        this.releaseAt = now + MAINTENANCE_DRAIN_MS;
      } else if (this.stopping) {
        // Still serving until a backup takes over after its Skew_Time, or the longest
        // Master_Down_Interval (priority 1) if nobody comes.
        this.releaseOnAdvert = true;
        this.releaseAt = now + masterDownIntervalMs(this.config.version, 1, this.config.advertIntervalMs);
      } else if (this.machine.state === 'FAULT' && mayKeepVips(this.faults.values())) {
        // The service behind the VIPs is certainly down: keep them as a refuser (kept-vips.ts).
        this.kept = keepVips(now, masterDownIntervalMs(this.config.version, 1, this.config.advertIntervalMs));
        this.releaseAt = keptVipsReleaseAt(this.kept);
      } else {
        effects.push(effect);
      }
    }
    if (this.machine.state !== 'MASTER') this.handoverAt = undefined;
    return effects;
  }
}
