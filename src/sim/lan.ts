/**
 * An in-memory LAN of VRRP routers driven by a fake clock: adverts are delivered after a
 * per-link delay with jitter, may be lost, stop at partitions, and routers crash (power loss),
 * are killed (kill -9: their VIPs stay), restart, stop gracefully, fault, change priority and go
 * into maintenance. Each router is the daemon's pure core (instance-core.ts: protocol, priority,
 * maintenance, VIP release), and routers of one node may form a sync group run by the daemon's
 * pure sync-group policy. Everything is decided by the seeded Prng, so a run is a pure function
 * of its scenario.
 */
import { EventQueue } from '../util/event-queue.js';
import { Prng } from './prng.js';
import type { MachineConfig, VrrpMachine, VrrpState } from '../vrrp/state-machine.js';
import { type CoreEffect, type CoreEvent, VrrpInstance } from '../vrrp/instance-core.js';
import { followTransition, groupFaults, type MemberView, type SyncGroupSpec } from '../vrrp/sync-group.js';

export interface LinkQuality {
  lossRate: number;
  delayMs: number;
  jitterMs: number;
}

export interface Transition {
  time: number;
  router: number;
  from: VrrpState;
  to: VrrpState;
  reason: string;
}

/** A broken rule seen while running, with the time it happened. */
export interface Violation {
  time: number;
  message: string;
}

type LanEvent =
  | { type: 'deliver'; to: number; from: number; priority: number; intervalMs: number; vrid: number }
  | { type: 'timer'; router: number; token: number }
  | { type: 'action'; run: () => void };

export class SimRouter {
  core: VrrpInstance;
  /** Routers hear only the adverts of their own VRID. */
  vrid = 0;
  /** The sync group (of routers on one node) this one belongs to. */
  group: SimGroup | undefined;
  /** Powered on (not crashed). */
  alive = true;
  /** Started (not stopped with a graceful shutdown). */
  running = false;
  /** Has been started by this process (a start after a stop is a new process). */
  started = false;
  /** What a tracked check adds to the configured priority now (see setPriority). */
  priorityOffset = 0;
  faulted = false;
  holdsVips = false;
  /** The VIPs held are the debris of a killed run (the next run may take them over or remove them). */
  staleVips = false;
  partition = 0;
  link: LinkQuality = { lossRate: 0, delayMs: 0, jitterMs: 0 };
  timerToken = 0;
  /** SIGSTOP of the daemon: nothing is handled until then (its VIPs stay on the interface). */
  pausedUntil: number | undefined;
  /** Adverts that arrived while paused, handled at the resume (the socket buffer kept them). */
  readonly backlog: Array<{ from: number; priority: number; intervalMs: number }> = [];
  announcements = 0;
  advertsSent = 0;

  constructor(
    readonly id: number,
    readonly address: Buffer,
    readonly addressText: string,
    readonly config: MachineConfig,
  ) {
    this.core = new VrrpInstance(config);
  }

  get machine(): VrrpMachine {
    return this.core.machine;
  }

  /** Can take part in an election: powered, started, not faulted (also through its sync group), not held for maintenance. */
  get candidate(): boolean {
    return this.alive && this.running && this.core.faultSources().length === 0 && !this.core.maintenance;
  }
}

/** A vrrp_sync_group: routers of one node that change state together. */
export interface SimGroup {
  spec: SyncGroupSpec;
  members: SimRouter[];
}

export class SimLan {
  readonly routers: SimRouter[] = [];
  readonly transitions: Transition[] = [];
  readonly violations: Violation[] = [];
  private readonly queue = new EventQueue<LanEvent>();
  /** Last delivery time per sender→receiver pair: a LAN does not reorder one sender's frames. */
  private readonly lastDelivery = new Map<number, number>();
  private clock = 0;

  constructor(private readonly prng: Prng) {}

  get now(): number {
    return this.clock;
  }

  addRouter(config: Omit<MachineConfig, 'primaryAddress'>): SimRouter {
    const id = this.routers.length;
    const address = Buffer.from([10, 0, 0, id + 1]);
    const router = new SimRouter(id, address, `10.0.0.${id + 1}`, { ...config, primaryAddress: address });
    this.routers.push(router);
    return router;
  }

  /** Runs fn at simulated time `at` (scenario actions). */
  at(time: number, run: () => void): void {
    this.queue.push(time, { type: 'action', run });
  }

  runUntil(end: number): void {
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined || next > end) break;
      const item = this.queue.pop();
      if (item === undefined) break;
      this.clock = item.time;
      this.dispatch(item.value);
    }
    this.clock = end;
  }

  // ---- actions a scenario can take ----

  /** Starts the daemon; after a graceful stop that is a new process, as in the real daemon. */
  start(router: SimRouter): void {
    if (!router.alive || router.running) return;
    if (router.started) {
      // The new process finds the fault and the priority its tracking reports, before it starts.
      router.core = new VrrpInstance(router.config);
      // VIPs the stopped process still held for its hand-over: the new one finds them on the interface.
      router.staleVips = router.holdsVips;
      if (router.faulted) router.core.handle(this.clock, { type: 'fault-source', source: 'sim', reason: 'simulated fault' });
      router.core.handle(this.clock, { type: 'priority-offset', source: 'sim', offset: router.priorityOffset });
    }
    router.running = true;
    router.started = true;
    this.feed(router, { type: 'startup' });
  }

  stop(router: SimRouter): void {
    if (!router.alive || !router.running) return;
    router.running = false;
    this.feed(router, { type: 'shutdown' });
  }

  /** Power loss: no goodbye, the VIPs vanish with the host. */
  crash(router: SimRouter): void {
    if (!router.alive) return;
    router.alive = false;
    router.running = false;
    router.holdsVips = false;
    router.timerToken++;
    router.faulted = false;
    if (router.machine.state !== 'INIT') {
      this.transitions.push({ time: this.clock, router: router.id, from: router.machine.state, to: 'INIT', reason: 'crash' });
    }
  }

  /** kill -9 of the daemon: no goodbye, and the kernel keeps the VIPs it had added. */
  kill(router: SimRouter): void {
    if (!router.alive) return;
    const debris = router.holdsVips;
    this.crash(router);
    router.holdsVips = debris;
    router.staleVips = debris;
  }

  /** Power back on (or the daemon restarted): a fresh process, started. */
  restart(router: SimRouter): void {
    if (router.alive) return;
    router.alive = true;
    router.faulted = false;
    router.started = false;
    router.priorityOffset = 0;
    router.core = new VrrpInstance(router.config);
    this.start(router);
  }

  /**
   * SIGSTOP of the daemon for `ms`, then SIGCONT: at the resume the overdue timer and the adverts
   * that queued up are handled in one go, the timer first or the adverts first (`timerFirst`; the
   * real event loop runs timers first, but an advert may already have been read).
   */
  pause(router: SimRouter, ms: number, timerFirst: boolean): void {
    if (!router.alive || router.pausedUntil !== undefined) return;
    router.pausedUntil = this.clock + ms;
    router.timerToken++;
    this.at(this.clock + ms, () => {
      router.pausedUntil = undefined;
      if (!router.alive) return;
      const queued = router.backlog.splice(0);
      const adverts = () => {
        for (const a of queued) {
          const sender = this.routers[a.from];
          if (sender === undefined || !router.alive) continue;
          this.feed(router, { type: 'advert', advert: { priority: a.priority, intervalMs: a.intervalMs, source: sender.address, from: sender.addressText } });
        }
      };
      if (!timerFirst) adverts();
      this.feed(router, { type: 'timer' });
      if (timerFirst) adverts();
    });
  }

  /** The effective priority becomes `priority` (a tracked check moved it). */
  setPriority(router: SimRouter, priority: number): void {
    if (!router.alive) return;
    router.priorityOffset = priority - router.config.priority;
    this.feed(router, { type: 'priority-offset', source: 'sim', offset: router.priorityOffset });
  }

  /** `serviceDown`: the fault is a service certainly down behind the VIPs (a master keeps them a while: kept-vips.ts). */
  setFault(router: SimRouter, faulted: boolean, serviceDown = false): void {
    if (!router.alive || router.faulted === faulted) return;
    router.faulted = faulted;
    this.feed(router, { type: 'fault-source', source: 'sim', reason: faulted ? (serviceDown ? 'simulated service down' : 'simulated fault') : undefined, ...(faulted && serviceDown ? { serviceDown } : {}) });
    if (router.group) this.applyGroupFaults(router.group);
  }

  /** `router`'s resource monitor saw the peer's service active (PostgreSQL answering as primary). */
  peerActive(router: SimRouter): void {
    if (!router.alive) return;
    this.feed(router, { type: 'peer-active' });
  }

  setMaintenance(router: SimRouter, on: boolean, force = false): void {
    if (!router.alive) return;
    this.feed(router, { type: 'maintenance', on, force });
  }

  /** Makes `members` (routers of one node, on different VRIDs) a sync group. */
  syncGroup(name: string, members: SimRouter[]): SimGroup {
    const group: SimGroup = { spec: { name, instances: members.map((m) => `r${m.id}`) }, members };
    for (const member of members) member.group = group;
    return group;
  }

  // ---- the machinery ----

  private dispatch(event: LanEvent): void {
    switch (event.type) {
      case 'action':
        event.run();
        return;
      case 'timer': {
        const router = this.routers[event.router];
        if (router === undefined || !router.alive || event.token !== router.timerToken || router.pausedUntil !== undefined) return;
        this.feed(router, { type: 'timer' });
        return;
      }
      case 'deliver': {
        const router = this.routers[event.to];
        const sender = this.routers[event.from];
        if (router === undefined || sender === undefined || !router.alive || router.vrid !== event.vrid) return;
        if (router.pausedUntil !== undefined) {
          router.backlog.push({ from: event.from, priority: event.priority, intervalMs: event.intervalMs });
          return;
        }
        this.feed(router, {
          type: 'advert',
          advert: { priority: event.priority, intervalMs: event.intervalMs, source: sender.address, from: sender.addressText },
        });
        return;
      }
    }
  }

  private feed(router: SimRouter, event: CoreEvent): void {
    // A release still delayed (drain, hand-over) when the router becomes master again is cancelled: it keeps the VIPs.
    const releasePending = router.core.releasePending;
    const effects = router.core.handle(this.clock, event);
    for (const effect of effects) this.apply(router, effect, releasePending);
    this.checkVipInvariant(router);
    this.rearm(router);
    // The sync group follows once this router's effects are all carried out.
    for (const effect of effects) if (effect.type === 'transition' && router.group) this.followGroup(router, effect);
  }

  private apply(router: SimRouter, effect: CoreEffect, releasePending: boolean): void {
    switch (effect.type) {
      case 'transition':
        this.transitions.push({ time: this.clock, router: router.id, ...effect });
        return;
      case 'add-vips':
        if (router.holdsVips && !router.staleVips && !releasePending) this.violation(`router ${router.id} added its VIPs twice`);
        router.holdsVips = true;
        router.staleVips = false;
        return;
      case 'remove-vips':
        if (!router.holdsVips) this.violation(`router ${router.id} removed VIPs it did not hold`);
        router.holdsVips = false;
        return;
      case 'remove-stale-vips':
        router.holdsVips = false;
        router.staleVips = false;
        return;
      case 'announce':
      case 'reannounce':
        router.announcements++;
        return;
      case 'stop-announcing':
      case 'lower-priority-heard':
        return;
      case 'send-advert':
        router.advertsSent++;
        this.broadcast(router, effect.priority);
        return;
    }
  }

  /** The daemon's controller: the other members follow a transition (sync-group.ts). */
  private followGroup(router: SimRouter, transition: { from: VrrpState; to: VrrpState }): void {
    const group = router.group as SimGroup;
    for (const follow of followTransition(group.spec, { instance: `r${router.id}`, ...transition }, this.membersOf(group))) {
      const member = group.members.find((m) => `r${m.id}` === follow.instance);
      if (member?.alive) this.feed(member, { type: 'sync', to: follow.to, reason: follow.reason });
    }
  }

  private applyGroupFaults(group: SimGroup): void {
    for (const fault of groupFaults(group.spec, this.membersOf(group))) {
      const member = group.members.find((m) => `r${m.id}` === fault.instance);
      if (member?.alive) this.feed(member, { type: 'fault-source', source: fault.source, reason: fault.reason });
    }
  }

  private membersOf(group: SimGroup): MemberView[] {
    return group.members.map((m) => ({ name: `r${m.id}`, state: m.machine.state, faultSources: m.alive ? m.core.faultSources() : [] }));
  }

  private broadcast(sender: SimRouter, priority: number): void {
    for (const receiver of this.routers) {
      if (receiver === sender || receiver.partition !== sender.partition || receiver.vrid !== sender.vrid) continue;
      const loss = 1 - (1 - sender.link.lossRate) * (1 - receiver.link.lossRate);
      if (loss > 0 && this.prng.chance(loss)) continue;
      const delay =
        sender.link.delayMs + receiver.link.delayMs + this.prng.next() * (sender.link.jitterMs + receiver.link.jitterMs);
      const pair = sender.id * 1024 + receiver.id;
      const at = Math.max(this.clock + delay, this.lastDelivery.get(pair) ?? 0);
      this.lastDelivery.set(pair, at);
      this.queue.push(at, {
        type: 'deliver',
        to: receiver.id,
        from: sender.id,
        priority,
        intervalMs: sender.config.advertIntervalMs,
        vrid: sender.vrid,
      });
    }
  }

  private rearm(router: SimRouter): void {
    router.timerToken++;
    const deadline = router.core.nextDeadline();
    if (deadline !== undefined) {
      this.queue.push(Math.max(deadline, this.clock), { type: 'timer', router: router.id, token: router.timerToken });
    }
  }

  /**
   * VIPs are held exactly while master — also after a restart that found VIPs a killed run left
   * behind — except for a release the policy still delays (a maintenance drain, a shutdown
   * hand-over, VIPs kept as a refuser after a FAULT for a service certainly down), which the
   * scenarios bound in time.
   */
  private checkVipInvariant(router: SimRouter): void {
    const master = router.machine.state === 'MASTER';
    if (router.holdsVips !== master && !(router.holdsVips && router.core.releasePending)) {
      this.violation(`router ${router.id} is ${router.machine.state} but ${router.holdsVips ? 'holds' : 'does not hold'} the VIPs`);
    }
  }

  private violation(message: string): void {
    this.violations.push({ time: this.clock, message });
  }

  /** Routers in MASTER state at this moment. */
  masters(): SimRouter[] {
    return this.routers.filter((r) => r.alive && r.machine.state === 'MASTER');
  }
}
