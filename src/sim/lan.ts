/**
 * An in-memory LAN of VRRP routers driven by a fake clock: adverts are delivered after a
 * per-link delay with jitter, may be lost, stop at partitions, and routers crash, restart,
 * stop gracefully, fault and change priority. Everything is decided by the seeded Prng, so a
 * run is a pure function of its scenario.
 */
import { EventQueue } from '../util/event-queue.js';
import { Prng } from './prng.js';
import { type Effect, type MachineConfig, VrrpMachine, type VrrpState } from '../vrrp/state-machine.js';

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
  | { type: 'deliver'; to: number; from: number; priority: number; intervalMs: number }
  | { type: 'timer'; router: number; token: number }
  | { type: 'action'; run: () => void };

export class SimRouter {
  machine: VrrpMachine;
  /** Powered on (not crashed). */
  alive = true;
  /** Started (not stopped with a graceful shutdown). */
  running = false;
  faulted = false;
  holdsVips = false;
  partition = 0;
  link: LinkQuality = { lossRate: 0, delayMs: 0, jitterMs: 0 };
  timerToken = 0;
  announcements = 0;
  advertsSent = 0;

  constructor(
    readonly id: number,
    readonly address: Buffer,
    readonly addressText: string,
    readonly config: MachineConfig,
  ) {
    this.machine = new VrrpMachine(config);
  }

  /** Can take part in an election: powered, started and not faulted. */
  get candidate(): boolean {
    return this.alive && this.running && !this.faulted;
  }
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

  start(router: SimRouter): void {
    if (!router.alive || router.running) return;
    router.running = true;
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
  }

  /** Power back on (or the daemon restarted): a fresh process, started. */
  restart(router: SimRouter): void {
    if (router.alive) return;
    router.alive = true;
    router.faulted = false;
    router.machine = new VrrpMachine(router.config);
    this.start(router);
  }

  setPriority(router: SimRouter, priority: number): void {
    if (!router.alive) return;
    this.feed(router, { type: 'priority', priority });
  }

  setFault(router: SimRouter, faulted: boolean): void {
    if (!router.alive || router.faulted === faulted) return;
    router.faulted = faulted;
    this.feed(router, faulted ? { type: 'fault', reason: 'simulated fault' } : { type: 'recover', reason: 'fault cleared' });
  }

  // ---- the machinery ----

  private dispatch(event: LanEvent): void {
    switch (event.type) {
      case 'action':
        event.run();
        return;
      case 'timer': {
        const router = this.routers[event.router];
        if (router === undefined || !router.alive || event.token !== router.timerToken) return;
        this.feed(router, { type: 'timer' });
        return;
      }
      case 'deliver': {
        const router = this.routers[event.to];
        const sender = this.routers[event.from];
        if (router === undefined || sender === undefined || !router.alive) return;
        this.feed(router, {
          type: 'advert',
          advert: { priority: event.priority, intervalMs: event.intervalMs, source: sender.address, from: sender.addressText },
        });
        return;
      }
    }
  }

  private feed(router: SimRouter, event: Parameters<VrrpMachine['handle']>[1]): void {
    const effects = router.machine.handle(this.clock, event);
    for (const effect of effects) this.apply(router, effect);
    this.checkVipInvariant(router);
    this.rearm(router);
  }

  private apply(router: SimRouter, effect: Effect): void {
    switch (effect.type) {
      case 'transition':
        this.transitions.push({ time: this.clock, router: router.id, ...effect });
        return;
      case 'add-vips':
        if (router.holdsVips) this.violation(`router ${router.id} added its VIPs twice`);
        router.holdsVips = true;
        return;
      case 'remove-vips':
        if (!router.holdsVips) this.violation(`router ${router.id} removed VIPs it did not hold`);
        router.holdsVips = false;
        return;
      case 'remove-stale-vips':
        router.holdsVips = false;
        return;
      case 'announce':
        router.announcements++;
        return;
      case 'send-advert':
        router.advertsSent++;
        this.broadcast(router, effect.priority);
        return;
    }
  }

  private broadcast(sender: SimRouter, priority: number): void {
    for (const receiver of this.routers) {
      if (receiver === sender || receiver.partition !== sender.partition) continue;
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
      });
    }
  }

  private rearm(router: SimRouter): void {
    router.timerToken++;
    const deadline = router.machine.nextDeadline();
    if (deadline !== undefined) {
      this.queue.push(Math.max(deadline, this.clock), { type: 'timer', router: router.id, token: router.timerToken });
    }
  }

  /** VIPs are held exactly while master. */
  private checkVipInvariant(router: SimRouter): void {
    const master = router.machine.state === 'MASTER';
    if (router.holdsVips !== master) {
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
