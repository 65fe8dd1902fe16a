/**
 * A chaos soak: seeded cycles of faults on one pair (see plan.ts), each held against the oracle,
 * with the client pinging the VIP throughout. Used by the CI test (hotstandby) and the benchmark
 * (hotstandby and keepalived side by side, the same cycles for both).
 */
import type { ProbeReport } from '../probe-report.js';
import { planCycle } from './plan.js';
import { ChaosRig, type CycleResult, type RigOptions } from './rig.js';

export interface SoakOptions extends RigOptions {
  /** Run seed: cycle i is planned from it and i alone. */
  seed: number;
  cycles: number;
  /** Index of the first cycle (to replay one cycle of a longer run); default 0. */
  firstCycle?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface SoakResult {
  daemon: RigOptions['daemon'];
  seed: number;
  firstCycle: number;
  convergeLimitMs: number;
  cycles: CycleResult[];
  /** The client's pings over the whole soak. */
  probe: ProbeReport | undefined;
}

/** One line per cycle: "cycle 3 (seed 2654435772) kill9-master: ok, converged 412 ms; lost 31, dual 0 ms". */
export function describeCycle(cycle: CycleResult): string {
  const checks = cycle.checks.map((check) => (check.ok ? `${check.convergeMs} ms on ${check.expected}` : `FAILED (${check.detail})`)).join('; ');
  const error = cycle.error === undefined ? '' : ` error: ${cycle.error};`;
  return `cycle ${cycle.index} (seed ${cycle.seed}) ${cycle.kind}: ${cycle.ok ? 'ok' : 'FAILED'} [${cycle.steps}]${error} checks: ${checks || 'none'}; lost ${cycle.lost}/${cycle.sent}, dual ${cycle.dualMs} ms${cycle.repaired ? ', repaired' : ''}`;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const firstCycle = options.firstCycle ?? 0;
  const rig = await ChaosRig.create(options);
  const cycles: CycleResult[] = [];
  let probe: ProbeReport | undefined;
  try {
    for (let index = firstCycle; index < firstCycle + options.cycles; index++) {
      const cycle = await rig.runCycle(planCycle(rig.setup, options.seed, index));
      cycles.push(cycle);
      options.log?.(`${options.daemon} ${describeCycle(cycle)}`);
    }
  } finally {
    probe = await rig.destroy();
  }
  return { daemon: options.daemon, seed: options.seed, firstCycle, convergeLimitMs: rig.convergeLimitMs, cycles, probe };
}
