/**
 * Runs one VRRP instance: feeds the pure state machine with packets, timers, faults and
 * priority changes, and carries out its effects (adverts, VIPs, announcements). All I/O goes
 * through the ports, so the runner is tested with fakes and a fake clock.
 */
import type { Advert, AddressFamily } from '../vrrp/advert.js';
import { VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../vrrp/advert.js';
import { buildAdvert, encodeAdvert } from '../vrrp/codec.js';
import { formatIp } from '../vrrp/ip-address.js';
import { type DropReason, newDropCounters } from '../vrrp/drop-reason.js';
import type { MachineConfig, VrrpState } from '../vrrp/state-machine.js';
import { type CoreEffect, type CoreEvent, type HandoverOutcome, VrrpInstance } from '../vrrp/instance-core.js';
import type { InstanceConfig } from '../config/model.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { AdvertSender, Announcer, VipHolder } from './ports.js';

export interface InstanceRunnerDeps {
  clock: Clock;
  /** Wall-clock time for status and logs only; never used for protocol decisions. */
  wallClock: () => Date;
  timers: Timers;
  sender: AdvertSender;
  vips: VipHolder;
  announcer: Announcer;
  log: Logger;
  /** Called after every state change (status, notify hooks). */
  onTransition?: (transition: TransitionRecord) => void;
  onMaintenance?: (instance: string, on: boolean) => void;
  /** A master heard a lower-priority advert (notify_master_rx_lower_pri, notify FIFO). */
  onLowerPriority?: (instance: string, from: string, priority: number) => void;
  /** The defence of the VIPs against other MACs' claims (address-defence.ts), for its counters. */
  defence?: { readonly counts: { claims: number; defences: number } };
}

export interface TransitionRecord {
  instance: string;
  time: string;
  from: VrrpState;
  to: VrrpState;
  reason: string;
}

export interface InstanceCounters {
  advertsSent: number;
  advertsReceived: number;
  sendFailures: number;
  transitions: number;
  drops: Record<DropReason, number>;
}

export interface InstanceStatus {
  name: string;
  vrid: number;
  interface: string;
  family: AddressFamily;
  version: number;
  state: VrrpState;
  priority: number;
  effectivePriority: number;
  vips: string[];
  masterAddress: string | null;
  lastTransition: TransitionRecord | null;
  /** Contributions to the priority by source (checks, tracked interfaces). */
  priorityOffsets: Record<string, number>;
  maintenance: boolean;
  counters: InstanceCounters;
  drops: Record<DropReason, number>;
  garpsSent: number;
  /** Claims on our VIPs by other MACs (ARP, neighbour adverts) heard as master, and the announcements that answered them. */
  vipClaims: number;
  vipDefences: number;
  /**
   * FAULT with the VIPs kept as a refuser because the service behind them is certainly down
   * (src/vrrp/kept-vips.ts): for how long so far, in how long they go (as things stand), and what
   * has been heard of the peer (MASTER, its service active).
   */
  keptVips?: { keptMs: number; releaseInMs: number; peerMaster: boolean; peerActive: boolean };
}

export { MAINTENANCE_DRAIN_MS } from '../vrrp/instance-core.js';
/** A kernel receive time older than this (or in the future) is not trusted (see receive()). */
const MAX_RECEIVE_AGE_MS = 1000;

export class InstanceRunner {
  /** The protocol and its policy (priority, maintenance, VIP release): pure, see instance-core.ts. */
  private readonly core: VrrpInstance;
  private readonly machineConfig: MachineConfig;
  private cancelTimer: (() => void) | undefined;
  private armedDeadline: number | undefined;
  private readonly destinations: string[];
  private readonly pseudoHeader: boolean;
  /** Encoded adverts by priority: a master sends the same bytes every interval. */
  private readonly encoded = new Map<number, Buffer>();
  /** The time of the last event given to the machine. */
  private lastEventAt = Number.NEGATIVE_INFINITY;
  private lastTransition: TransitionRecord | null = null;
  /** Resolved after the event that ends a VIP release still pending (see released()). */
  private releaseWaiters: Array<() => void> = [];
  /** Resolved after the event that ends a maintenance hand-over (see setMaintenance()). */
  private handoverWaiters: Array<() => void> = [];
  private currentConfig: InstanceConfig;
  readonly counters: InstanceCounters = {
    advertsSent: 0,
    advertsReceived: 0,
    sendFailures: 0,
    transitions: 0,
    drops: newDropCounters(),
  };

  constructor(
    config: InstanceConfig,
    /** The source address of our adverts (primary IPv4 / link-local IPv6) as text and bytes. */
    private readonly source: { text: string; bytes: Buffer },
    private readonly deps: InstanceRunnerDeps,
  ) {
    this.machineConfig = {
      version: config.version,
      priority: config.priority,
      advertIntervalMs: config.advertIntervalMs,
      preempt: config.preempt,
      preemptDelayMs: config.preemptDelayMs,
      answerLowerPriority: !config.lowerPriority.noAdvert,
      announceOnLowerPriority: config.lowerPriority.garpRepeat > 0,
      reportLowerPriority: true,
      advertOnYield: config.advertOnYield,
      primaryAddress: source.bytes,
    };
    this.core = new VrrpInstance(this.machineConfig);
    this.currentConfig = config;
    const multicast = config.family === 4 ? VRRP_MULTICAST_V4 : VRRP_MULTICAST_V6;
    this.destinations = config.unicastPeers.length > 0 ? [...config.unicastPeers] : [multicast];
    this.pseudoHeader = !config.v3ChecksumExcludesPseudoHeader;
  }

  get name(): string {
    return this.config.name;
  }

  get config(): InstanceConfig {
    return this.currentConfig;
  }

  get state(): VrrpState {
    return this.core.state;
  }

  start(): void {
    this.deps.log.log('info', 'starting', { priority: this.config.priority });
    this.encodeAdvertsAhead();
    this.feed({ type: 'startup' });
  }

  /** A master sends the same bytes every interval: encoded now, not on the takeover path. */
  private encodeAdvertsAhead(): void {
    for (const destination of this.destinations) {
      this.encode(this.config.priority, destination);
      this.encode(0, destination);
    }
  }

  /**
   * Leaves service: a master sends priority 0 (RFC 5798 §6.4.3) and keeps serving on its VIPs
   * until the new master is heard (or the longest Master_Down_Interval passes), so clients see
   * no gap of our making; the timer keeps running for that deadline only.
   */
  stop(): void {
    this.feed({ type: 'shutdown' });
    this.deps.announcer.stop();
  }

  /** Resolves once a stopped instance has let go of its VIPs. */
  released(): Promise<void> {
    if (!this.core.releasePending) return Promise.resolve();
    return new Promise((resolve) => this.releaseWaiters.push(resolve));
  }

  /**
   * A validated advert for our VRID; `receivedAt` is when the kernel received it (the daemon's
   * clock), so the master-down timer restarts from the arrival rather than from when the event
   * loop got to the packet (RFC 5798 §6.4.2). A time in the future, or older than the loop can
   * plausibly lag, is a clock step between the two readings: then now is used.
   */
  receive(advert: Advert, source: Buffer, receivedAt?: number): void {
    this.counters.advertsReceived++;
    const intervalMs = advert.version === 2 ? advert.interval * 1000 : advert.interval * 10;
    const now = this.deps.clock.now();
    const at = receivedAt !== undefined && receivedAt <= now && now - receivedAt < MAX_RECEIVE_AGE_MS ? receivedAt : now;
    // The sender's address stays bytes up to here; the machine keeps its text for status and logs.
    this.feed({ type: 'advert', advert: { priority: advert.priority, intervalMs, source, from: formatIp(source, 0, advert.family) } }, at);
  }

  countDrop(reason: DropReason): void {
    this.counters.drops[reason]++;
  }

  /** Sets or clears one named fault source (link down, a check without weight); FAULT while any is set. */
  setFault(source: string, reason: string | undefined, serviceDown = false): void {
    this.feed({ type: 'fault-source', source, reason, ...(serviceDown ? { serviceDown } : {}) });
  }

  /** The peer's service answers as the active copy (PostgreSQL: primary): VIPs kept as a refuser may go (kept-vips.ts). */
  peerActive(): void {
    this.feed({ type: 'peer-active' });
  }

  /**
   * One named contribution to the priority (tracked interfaces, checks). The effective priority
   * is the configured one plus all contributions, clamped to 1..254; an owner's 255 never changes.
   */
  setPriorityOffset(source: string, offset: number): void {
    this.feed({ type: 'priority-offset', source, offset });
  }

  /** Contributions by source, for status. */
  priorityOffsets(): Record<string, number> {
    return this.core.priorityOffsets();
  }

  /**
   * A reload that changed only what can change in place (priority, preemption, notify, GARP,
   * tracking): no transition; a new priority is advertised at once by a master.
   */
  updateConfig(config: InstanceConfig): void {
    this.currentConfig = config;
    this.feed({ type: 'reload', priority: config.priority });
  }

  get maintenance(): boolean {
    return this.core.maintenance;
  }

  /**
   * Planned switchover. On: drop to priority 1 so a preempting peer takes over after Skew_Time
   * while we still serve; if nobody did, leave with priority 0 (a nopreempt peer takes over) but
   * keep the VIPs until the new master is heard; then stay backup until turned off. If no new
   * master is heard, no peer can take over: serve again with maintenance off ('no-peer'), unless
   * `force`. Off: back to the computed priority, listening again. Resolves once a hand-over is
   * decided, with how it ended (undefined when none was needed: not master, or no change).
   */
  async setMaintenance(on: boolean, force = false): Promise<HandoverOutcome | undefined> {
    if (on === this.core.maintenance) return undefined;
    this.feed({ type: 'maintenance', on, force });
    this.deps.onMaintenance?.(this.config.name, on);
    if (!this.core.handingOver) return undefined;
    await new Promise<void>((resolve) => this.handoverWaiters.push(resolve));
    const outcome = this.core.handoverOutcome;
    if (outcome === 'no-peer') this.deps.onMaintenance?.(this.config.name, false);
    return outcome;
  }

  /** vrrp_sync_group: another member changed state; follow it. */
  followGroup(to: 'MASTER' | 'BACKUP', reason: string): void {
    this.feed({ type: 'sync', to, reason });
  }

  /** Names of the fault sources now set. */
  faultSources(): string[] {
    return this.core.faultSources();
  }

  /** One GARP / NA burst now; only a master announces. */
  sendGarp(): boolean {
    if (this.core.state !== 'MASTER') return false;
    this.deps.announcer.burst();
    return true;
  }

  /**
   * A master that may defend its VIPs against another MAC's claim (address-defence.ts): not while
   * it listens after a stall (the claimant may be the master that replaced it) or hands over.
   */
  get defendsVips(): boolean {
    return this.core.state === 'MASTER' && !this.core.machine.listeningAfterStall && !this.core.handingOver;
  }

  status(): InstanceStatus {
    const state = this.core.state;
    return {
      name: this.config.name,
      vrid: this.config.vrid,
      interface: this.config.interface,
      family: this.config.family,
      version: this.config.version,
      state,
      priority: this.config.priority,
      effectivePriority: this.core.machine.priority,
      vips: this.config.vips.map((v) => `${v.address}/${v.prefixLength}`),
      masterAddress: state === 'MASTER' ? this.source.text : (this.core.machine.lastMasterAddress ?? null),
      lastTransition: this.lastTransition,
      priorityOffsets: this.priorityOffsets(),
      maintenance: this.core.maintenance,
      counters: this.counters,
      drops: this.counters.drops,
      garpsSent: this.deps.announcer.sent,
      vipClaims: this.deps.defence?.counts.claims ?? 0,
      vipDefences: this.deps.defence?.counts.defences ?? 0,
      ...(this.keptVipsStatus()),
    };
  }

  private keptVipsStatus(): { keptVips?: NonNullable<InstanceStatus['keptVips']> } {
    const kept = this.core.keptVips;
    if (kept === undefined) return {};
    const now = this.deps.clock.now();
    return { keptVips: { keptMs: Math.round(now - kept.since), releaseInMs: Math.max(0, Math.round(kept.releaseAt - now)), peerMaster: kept.peerMaster, peerActive: kept.peerActive } };
  }

  /** Kept VIPs (src/vrrp/kept-vips.ts) taken or let go by the last event: one line each, for operators and the lab tests. */
  private logKeptVips(before: VrrpInstance['keptVips'], event: CoreEvent): void {
    const after = this.core.keptVips;
    if (before === undefined && after !== undefined) {
      this.deps.log.log('info', 'keeping the VIPs as a refuser: the service behind them is certainly down (clients are refused at once); they go when the peer is master and active', { atMostMs: Math.round(after.releaseAt - after.since) });
    } else if (before !== undefined && after === undefined) {
      const now = this.deps.clock.now();
      const peerDone = (before.peerMaster || event.type === 'advert') && (before.peerActive || event.type === 'peer-active');
      const cause = this.core.state === 'MASTER' ? 'master again'
        : this.core.faultSources().length === 0 ? 'fault recovered'
        : peerDone ? 'peer master and active' : event.type === 'timer' ? 'deadline' : 'another fault';
      this.deps.log.log('info', `VIPs kept as a refuser released (${cause})`, { keptMs: Math.round(now - before.since), cause });
    }
  }

  private feed(event: CoreEvent, at = this.deps.clock.now()): void {
    // The machine sees time move forward only, even when an advert's arrival time predates the
    // event handled before it.
    this.lastEventAt = Math.max(this.lastEventAt, at);
    const keptBefore = this.core.keptVips;
    const effects = this.core.handle(this.lastEventAt, event);
    this.logKeptVips(keptBefore, event);
    for (const effect of effects) {
      // One failing effect (a kernel refusal) must not stop the others: a master leaving must
      // still release its VIPs even when its goodbye advert cannot be sent.
      try {
        this.apply(effect);
      } catch (err) {
        this.deps.log.log('error', `cannot carry out ${effect.type}`, { error: String(err) });
      }
    }
    this.rearm();
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (!this.core.releasePending && this.releaseWaiters.length > 0) for (const resolve of this.releaseWaiters.splice(0)) resolve();
    if (!this.core.handingOver && this.handoverWaiters.length > 0) for (const resolve of this.handoverWaiters.splice(0)) resolve();
  }

  private apply(effect: CoreEffect): void {
    switch (effect.type) {
      case 'send-advert':
        this.sendAdvert(effect.priority);
        return;
      case 'add-vips':
        this.deps.vips.take();
        return;
      case 'stop-announcing':
        this.deps.announcer.stop();
        return;
      case 'remove-vips':
        this.deps.vips.release();
        return;
      case 'remove-stale-vips':
        this.deps.vips.releaseStale();
        return;
      case 'announce':
        this.deps.announcer.start();
        return;
      case 'reannounce':
        this.deps.announcer.lowerPriorityHeard();
        return;
      case 'lower-priority-heard':
        this.deps.log.log('info', 'advert with a lower priority heard as master', { from: effect.from, priority: effect.priority });
        this.deps.onLowerPriority?.(this.config.name, effect.from, effect.priority);
        return;
      case 'transition':
        this.recordTransition(effect.from, effect.to, effect.reason);
        return;
    }
  }

  private recordTransition(from: VrrpState, to: VrrpState, reason: string): void {
    this.counters.transitions++;
    const record: TransitionRecord = { instance: this.config.name, time: this.deps.wallClock().toISOString(), from, to, reason };
    this.lastTransition = record;
    this.deps.log.log(to === 'FAULT' ? 'warn' : 'info', `${from} → ${to}`, { reason });
    this.deps.onTransition?.(record);
  }

  private sendAdvert(priority: number): void {
    for (const destination of this.destinations) {
      const payload = this.encode(priority, destination);
      if (this.deps.sender.send(payload, destination)) this.counters.advertsSent++;
      else this.counters.sendFailures++;
    }
  }

  private encode(priority: number, destination: string): Buffer {
    // Unicast peers each get their own checksum (the v3 pseudo-header covers the destination).
    const key = priority * 65536 + this.destinations.indexOf(destination);
    let payload = this.encoded.get(key);
    if (payload === undefined) {
      const advert = buildAdvert({
        version: this.config.version,
        family: this.config.family,
        vrid: this.config.vrid,
        priority,
        intervalMs: this.config.advertIntervalMs,
        addresses: this.config.vips.filter((v) => !v.excluded).map((v) => v.address),
        ...(this.config.authPass !== undefined ? { authPass: this.config.authPass } : {}),
      });
      payload = encodeAdvert(advert, { source: this.source.text, destination, pseudoHeader: this.pseudoHeader });
      this.encoded.set(key, payload);
    }
    return payload;
  }

  private rearm(): void {
    const deadline = this.core.nextDeadline();
    if (deadline === this.armedDeadline && this.cancelTimer !== undefined) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedDeadline = deadline;
    if (deadline === undefined) return;
    this.cancelTimer = this.deps.timers.at(
      deadline,
      () => {
        this.cancelTimer = undefined;
        this.armedDeadline = undefined;
        this.feed({ type: 'timer' });
      },
      this.core.nextDeadlineSlack(),
    );
  }
}
