/**
 * An instance's virtual routes and rules (keepalived's virtual_routes / virtual_rules): added
 * after its VIPs when it becomes master, removed when it stops being master. Like the VIPs, only
 * what it added itself is ever removed: a route or rule the kernel already had ('exists') belongs
 * to someone else. Requests are serialised so an add and a remove never overtake each other.
 */
import type { RouteSpec } from '../net/netlink/route.js';
import type { RuleSpec } from '../net/netlink/rule.js';
import { describeRoute } from '../net/netlink/route.js';
import { describeRule } from '../net/netlink/rule.js';
import type { Logger } from '../ports/index.js';
import type { VipHolder } from './ports.js';

/** What the holder needs from the kernel's routing tables (rtnetlink in production). */
export interface RoutingTable {
  addRoute(spec: RouteSpec): Promise<'added' | 'exists'>;
  deleteRoute(spec: RouteSpec): Promise<void>;
  addRule(spec: RuleSpec): Promise<'added' | 'exists'>;
  deleteRule(spec: RuleSpec): Promise<void>;
}

interface Entry {
  kind: 'route' | 'rule';
  description: string;
  add(): Promise<'added' | 'exists'>;
  remove(): Promise<void>;
}

/** Errors that mean "already gone": the goal of a removal is reached. */
const GONE = new Set(['ESRCH', 'ENOENT', 'ENODEV', 'EADDRNOTAVAIL']);

export class RouteRuleHolder {
  private wanted = false;
  private readonly ours = new Set<Entry>();
  private queue: Promise<void> = Promise.resolve();
  private readonly entries: Entry[];

  constructor(
    routes: readonly RouteSpec[],
    rules: readonly RuleSpec[],
    table: RoutingTable,
    private readonly log: Logger,
  ) {
    this.entries = [
      ...routes.map((spec): Entry => ({ kind: 'route', description: describeRoute(spec), add: () => table.addRoute(spec), remove: () => table.deleteRoute(spec) })),
      ...rules.map((spec): Entry => ({ kind: 'rule', description: describeRule(spec), add: () => table.addRule(spec), remove: () => table.deleteRule(spec) })),
    ];
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Adds every route and rule once `before` (the VIPs' requests) is done: a route may use a VIP as its source. */
  take(before: Promise<void> = Promise.resolve()): void {
    this.wanted = true;
    this.enqueue(async () => {
      await before;
      // In order: a rule may send traffic to a table the routes above fill.
      for (const entry of this.entries) await this.add(entry);
    });
  }

  release(): void {
    this.wanted = false;
    this.enqueue(async () => {
      for (const entry of [...this.entries].reverse()) await this.remove(entry);
    });
  }

  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step, step).catch(() => undefined);
  }

  private async add(entry: Entry): Promise<void> {
    if (!this.wanted || this.ours.has(entry)) return;
    try {
      if ((await entry.add()) === 'added') this.ours.add(entry);
      else this.log.log('warn', `virtual ${entry.kind} already present and not added by us; it will not be removed`, { [entry.kind]: entry.description });
    } catch (err) {
      this.log.log('error', `cannot add virtual ${entry.kind}`, { [entry.kind]: entry.description, error: String(err) });
    }
  }

  private async remove(entry: Entry): Promise<void> {
    if (this.wanted || !this.ours.has(entry)) return;
    this.ours.delete(entry);
    try {
      await entry.remove();
    } catch (err) {
      // The kernel drops a route with its device or source address: already gone is fine.
      if (!GONE.has((err as { code?: string }).code ?? '')) {
        this.log.log('error', `cannot remove virtual ${entry.kind}`, { [entry.kind]: entry.description, error: String(err) });
      }
    }
  }
}

/**
 * The drop rule (no_accept), the VIPs and then the routes and rules, as one holder for the
 * instance runner: routes are requested after the VIP requests are answered, and everything is
 * removed together.
 */
export class VipAndRouteHolder implements VipHolder {
  constructor(
    private readonly vips: VipHolder & { settled(): Promise<void> },
    private readonly routes: RouteRuleHolder,
    /** no_accept's drop rule (accept-mode.ts): set before the VIPs, as keepalived does. */
    private readonly blocker?: Pick<VipHolder, 'take' | 'release'> & { settled(): Promise<void> },
  ) {}

  take(): void {
    this.blocker?.take();
    this.vips.take();
    this.routes.take(this.vips.settled());
  }

  release(): void {
    this.routes.release();
    this.vips.release();
    this.blocker?.release();
  }

  /** VIPs an earlier (killed) run left behind (vip-holder.ts); its routes and rules are not recorded. */
  releaseStale(): void {
    this.vips.releaseStale();
  }

  async settled(): Promise<void> {
    await Promise.all([this.vips.settled(), this.routes.settled(), this.blocker?.settled()]);
  }
}
