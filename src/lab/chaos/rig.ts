/**
 * The executor: a pair of daemons and a client in a lab, with monitors on both nodes' addresses and
 * the client's neighbour table and a prober pinging the VIP throughout. It carries out a cycle's
 * steps and holds each check against the oracle, reading the history the monitors keep.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab } from '../lab.js';
import { waitFor } from '../wait-for.js';
import { AddressMonitor, NeighbourMonitor } from '../ip-monitor.js';
import type { Prober } from '../prober.js';
import type { ProbeReport } from '../probe-report.js';
import { canonicalIp } from '../../vrrp/ip-address.js';
import { ChaosDaemon, type ChaosDaemonKind } from './daemons.js';
import { dualHoldingMs, rightSince, stateAt, verdict, type Excuse, type HoldingEvent, type NeighbourChange, type VipHistory } from './history.js';
import { applyStep, expectation, initialWorld, type Expectation, type World } from './oracle.js';
import { describeSteps, roles, type ChaosSetup, type ChaosStep, type CyclePlan, type FaultKind } from './plan.js';

export interface RigOptions {
  daemon: ChaosDaemonKind;
  /** keepalived.conf text for a node of this priority holding `vip` (address/prefix). */
  confFor: (spec: { priority: number; vip: string }) => string;
  /** Default 100 ms (advert_int 0.1, VRRPv3). */
  advertIntMs?: number;
  /** hotstandby build to run (the benchmark's snapshot); default the lab's own. */
  hotstandbyRoot?: string;
  /** Seed of the impairment relays. */
  seed?: number;
  /** How long the right state must last before a check passes; default 500 ms. */
  settleMs?: number;
  /** Client pings; default every 10 ms. */
  probeIntervalMs?: number;
}

export interface CheckResult {
  /** Index of the check step in the cycle. */
  step: number;
  expected: string;
  excused: string[];
  ok: boolean;
  /** The client's first answer from the right holder, after the step before the check; null when it failed. */
  convergeMs: number | null;
  /** What was wrong at the deadline. */
  detail?: string;
}

export interface CycleResult {
  index: number;
  seed: number;
  kind: FaultKind;
  steps: string;
  ok: boolean;
  checks: CheckResult[];
  /** Probes sent during the cycle and how many went unanswered. */
  sent: number;
  lost: number;
  /** Epoch ms. */
  startedAt: number;
  /** Time two live nodes held the VIP at once (a killed daemon's leftover excused while it is dead). */
  dualMs: number;
  durationMs: number;
  /** A failed cycle leaves the pair restarted from scratch before the next. */
  repaired: boolean;
  /** A step that could not be carried out (a daemon that did not start, say). */
  error?: string;
}

const PRIORITIES = { a: 150, b: 100 } as const;

/** Longer than any round trip in the lab once the faults are over. */
const PROBE_IN_FLIGHT_MS = 100;

export class ChaosRig {
  readonly setup: ChaosSetup;
  readonly vip: string;
  /** The issue's budget for a check: 3 × advert_int + 2 s after the step before it. */
  readonly convergeLimitMs: number;
  private readonly settleMs: number;
  private readonly daemons = new Map<string, ChaosDaemon>();
  private readonly excuses: Excuse[] = [];
  private world: World;
  private baseline: { at: number; holders: string[]; mac: string | undefined } = { at: 0, holders: [], mac: undefined };
  private monitors: { address: AddressMonitor[]; neighbour: NeighbourMonitor | undefined } = { address: [], neighbour: undefined };
  private prober: Prober | undefined;
  /** Probes sent from here on belong to the next cycle. */
  private probeBoundary = 0;

  private constructor(
    readonly lab: Lab,
    private readonly options: RigOptions,
  ) {
    const advertIntMs = options.advertIntMs ?? 100;
    this.setup = { nodes: Object.entries(PRIORITIES).map(([name, priority]) => ({ name, priority })), version: 3, advertIntMs };
    this.vip = lab.vip4(0);
    this.convergeLimitMs = 3 * advertIntMs + 2000;
    this.settleMs = options.settleMs ?? 500;
    this.world = initialWorld(this.setup);
    for (const node of this.setup.nodes) {
      this.daemons.set(
        node.name,
        new ChaosDaemon(lab, { kind: options.daemon, host: node.name, conf: options.confFor({ priority: node.priority, vip: `${this.vip}/24` }), hotstandbyRoot: options.hotstandbyRoot }),
      );
    }
  }

  /** Builds the lab, starts the pair, the monitors and the prober; resolves with the pair settled. */
  static async create(options: RigOptions): Promise<ChaosRig> {
    const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false, seed: options.seed });
    try {
      const rig = new ChaosRig(lab, options);
      // Both nodes' links go through the relay from the start, so impairing one later is only a setting.
      for (const node of rig.setup.nodes) await lab.setImpairment(node.name, {});
      await rig.startPair();
      rig.monitors.address = await Promise.all(rig.setup.nodes.map((node) => AddressMonitor.start(lab, node.name)));
      rig.monitors.neighbour = await NeighbourMonitor.start(lab, 'client');
      const holders = await lab.vipHolder(rig.vip);
      rig.baseline = { at: Date.now(), holders, mac: (await lab.neighbour('client', rig.vip))?.mac };
      rig.prober = await lab.startProber('client', rig.vip, { intervalMs: options.probeIntervalMs ?? 10, drainMs: 500 });
      rig.probeBoundary = Date.now();
      return rig;
    } catch (error) {
      await lab.destroy().catch(() => undefined);
      throw error;
    }
  }

  private async startPair(): Promise<void> {
    await Promise.all([...this.daemons.values()].map((daemon) => daemon.start()));
    const { master } = roles(this.setup);
    await waitFor(async () => (await this.lab.vipHolder(this.vip)).join() === master.name, {
      description: `the ${this.options.daemon} pair settled with the VIP on ${master.name} alone`,
      timeoutMs: 30_000,
    });
  }

  /** Everything the monitors saw about the VIP, after the baseline taken at start. */
  history(): VipHistory {
    const vip = canonicalIp(this.vip);
    const holding: HoldingEvent[] = this.setup.nodes.map((node) => ({ ms: this.baseline.at, host: node.name, held: this.baseline.holders.includes(node.name) }));
    this.setup.nodes.forEach((node, index) => {
      for (const event of this.monitors.address[index]?.events() ?? []) {
        if (event.address === vip && event.ms > this.baseline.at) holding.push({ ms: event.ms, host: node.name, held: !event.deleted });
      }
    });
    const neighbour: NeighbourChange[] = [{ ms: this.baseline.at, mac: this.baseline.mac }];
    for (const event of this.monitors.neighbour?.events() ?? []) {
      if (event.address === vip && event.ms > this.baseline.at) neighbour.push({ ms: event.ms, mac: event.mac });
    }
    const byTime = <T extends { ms: number }>(list: T[]): T[] => list.sort((x, y) => x.ms - y.ms);
    return { holding: byTime(holding), neighbour: byTime(neighbour) };
  }

  /** Carries out one cycle; a failed one is followed by a repair (the pair restarted from scratch). */
  async runCycle(plan: CyclePlan): Promise<CycleResult> {
    const prober = this.prober as Prober;
    const startedAt = Date.now();
    const checks: CheckResult[] = [];
    let from = Date.now();
    let error: string | undefined;
    for (const [index, step] of plan.steps.entries()) {
      try {
        if (step.do === 'check') {
          const expected = expectation(this.setup, this.world);
          if (expected) checks.push({ step: index, ...(await this.check(expected, from)) });
          continue;
        }
        from = await this.act(step);
        this.world = applyStep(this.world, step);
      } catch (failure) {
        // A daemon that does not start or stop is the cycle's failure, not the soak's end.
        error = `step ${index} (${describeSteps([step])}): ${failure instanceof Error ? failure.message : String(failure)}`;
        break;
      }
    }
    const endedAt = Date.now();
    // Requests of the last moments may still be on their way; they go to the next cycle, which
    // starts settled (every cycle ends with the client answered for a while).
    const boundary = endedAt - PROBE_IN_FLIGHT_MS;
    const probes = (await prober.status(endedAt, { from: this.probeBoundary, to: boundary })).window ?? { sent: 0, unanswered: 0 };
    this.probeBoundary = boundary;
    const ok = error === undefined && checks.every((check) => check.ok);
    const result: CycleResult = {
      index: plan.index,
      seed: plan.seed,
      kind: plan.kind,
      steps: describeSteps(plan.steps),
      ok,
      checks,
      sent: probes.sent,
      lost: probes.unanswered,
      startedAt,
      dualMs: Math.round(dualHoldingMs(this.history(), startedAt, endedAt, this.excuses)),
      durationMs: endedAt - startedAt,
      repaired: false,
      ...(error === undefined ? {} : { error }),
    };
    if (!ok) {
      await this.repair();
      result.repaired = true;
      this.probeBoundary = Date.now();
    }
    return result;
  }

  /** Does what a step says; returns when the check after it starts counting (epoch ms). */
  private async act(step: Exclude<ChaosStep, { do: 'check' }>): Promise<number> {
    if (step.do === 'wait') {
      await sleep(step.ms);
      return Date.now();
    }
    const daemon = this.daemons.get(step.node) as ChaosDaemon;
    const at = Date.now();
    switch (step.do) {
      case 'kill':
        if (step.signal === 'SIGKILL') this.excuses.push({ host: step.node, from: at, to: Number.POSITIVE_INFINITY });
        await daemon.kill(step.signal);
        return at;
      case 'restart': {
        await daemon.start();
        // Until a daemon runs, nothing can remove what its killed predecessor left; from its first
        // state on, a VIP it leaves on a node that should not hold it counts. The convergence
        // budget runs from there too: start-up time is its own.
        const up = Date.now();
        for (const excuse of this.excuses) if (excuse.host === step.node && excuse.to === Number.POSITIVE_INFINITY) excuse.to = up;
        return up;
      }
      case 'pause':
        daemon.pause();
        return at;
      case 'resume':
        daemon.resume();
        return at;
      case 'cut':
        await this.lab.cutLink(step.node, { carrier: step.carrier });
        return Date.now();
      case 'heal':
        await this.lab.healLink(step.node);
        return Date.now();
      case 'impair':
        await this.lab.setImpairment(step.node, { lossPercent: step.lossPercent, delayMs: step.delayMs, jitterMs: step.jitterMs, reorder: step.reorder, direction: step.direction });
        return Date.now();
      case 'unimpair':
        await this.lab.setImpairment(step.node, {});
        return Date.now();
    }
  }

  /** Polls the history until the verdict is in. */
  private async check(expected: Expectation, from: number, limitMs = this.convergeLimitMs): Promise<Omit<CheckResult, 'step'>> {
    const prober = this.prober as Prober;
    const expectedMac = this.lab.host(expected.holder).mac;
    const deadline = from + limitMs;
    for (;;) {
      const now = Date.now();
      const history = this.history();
      const since = rightSince(history, expected, expectedMac, now);
      const status = await prober.status(Math.max(since ?? now, from));
      const outcome = verdict({ rightSince: since, replyAt: since === undefined ? null : status.firstReplyAtOrAfter, from, deadline, settleMs: this.settleMs, now });
      if (outcome.state === 'converged') return { expected: expected.holder, excused: expected.excused, ok: true, convergeMs: Math.round(outcome.convergeMs) };
      if (outcome.state === 'failed') {
        const state = stateAt(history, now);
        const macOwner = this.lab.hosts().find((host) => host.mac === state.mac)?.name ?? state.mac ?? 'none';
        const lastReply = status.lastReplyAt === null ? 'never' : `${Math.max(0, Math.round(now - status.lastReplyAt))} ms ago`;
        return {
          expected: expected.holder,
          excused: expected.excused,
          ok: false,
          convergeMs: null,
          detail:
            `after ${now - from} ms: VIP on [${state.holders.join(', ')}], expected ${expected.holder}` +
            `${expected.excused.length > 0 ? ` (excused: ${expected.excused.join(', ')})` : ''}; client's neighbour entry → ${macOwner}; last reply ${lastReply}`,
        };
      }
      await sleep(50);
    }
  }

  /** Back to a clean pair after a failed cycle: every daemon ended, links whole, stray VIPs removed, started again. */
  async repair(): Promise<void> {
    const at = Date.now();
    for (const daemon of this.daemons.values()) await daemon.end();
    for (const excuse of this.excuses) if (excuse.to === Number.POSITIVE_INFINITY) excuse.to = at;
    for (const node of this.setup.nodes) {
      await this.lab.healLink(node.name);
      await this.lab.setImpairment(node.name, {});
      await this.lab.exec(node.name, ['ip', 'addr', 'del', `${this.vip}/24`, 'dev', 'eth0']).catch(() => undefined);
    }
    this.world = initialWorld(this.setup);
    await this.startPair();
    const { master } = roles(this.setup);
    const settled = await this.check({ holder: master.name, excused: [] }, Date.now(), 30_000);
    if (!settled.ok) throw new Error(`The ${this.options.daemon} pair did not recover after a repair: ${settled.detail}`);
  }

  /** Stops probing (its report covers the whole soak) and removes the lab. */
  async destroy(): Promise<ProbeReport | undefined> {
    try {
      const report = await this.prober?.stop();
      for (const daemon of this.daemons.values()) await daemon.end();
      return report;
    } finally {
      await this.lab.destroy();
    }
  }
}
