/**
 * Row 7: the chaos soak, hotstandby against keepalived 2.2.7. The same seeded cycles (src/lab/chaos:
 * kill -9 of the master, the backup and the backup standing in, SIGTERM, SIGSTOP for 0.2–3 × the
 * Master_Down_Interval, link flaps, 30 % loss, 50 ± 20 ms reordering delay) run on a pair of each at
 * advert_int 0.1 s with a client pinging the VIP every 10 ms. Per fault kind: how long checks took
 * to converge (the right node alone holding the VIP, the client's neighbour entry on it, the client
 * answered), pings lost, time both nodes held the VIP, and cycles that failed to converge within
 * 3 × advert_int + 2 s (each named with its seed).
 */
import { FAULT_KINDS, describeCycle, runSoak, type CycleResult, type FaultKind, type SoakResult } from '../../src/lab/chaos/index.js';
import { keepalivedConf } from '../lib/conf.js';
import { DAEMONS, shortName, type DaemonKind } from '../lib/daemons.js';
import { fmt, markdownTable, pair } from '../lib/format.js';
import { HostLoadWindow } from '../lib/machine.js';
import { atMost, errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { percentile } from '../stats.js';

const ROW = '7';
const CYCLES: Record<Mode, number> = { quick: 20, default: 200, long: 500 };

export interface KindSummary {
  kind: FaultKind;
  cycles: number;
  /** Over every check of the kind's cycles that converged, ms. */
  convergeP50: number;
  convergeP99: number;
  lostPings: number;
  /** Total and longest per cycle, ms. */
  dualMs: number;
  dualMaxMs: number;
  failedCycles: number;
}

/** Per fault kind (kinds that did not come up are left out), then 'all'. */
export function summariseByKind(cycles: readonly CycleResult[]): (Omit<KindSummary, 'kind'> & { kind: FaultKind | 'all' })[] {
  const summary = (kind: FaultKind | 'all', mine: readonly CycleResult[]) => {
    const converged = mine.flatMap((cycle) => cycle.checks.flatMap((check) => (check.convergeMs === null ? [] : [check.convergeMs])));
    return {
      kind,
      cycles: mine.length,
      convergeP50: percentile(converged, 50),
      convergeP99: percentile(converged, 99),
      lostPings: mine.reduce((sum, cycle) => sum + cycle.lost, 0),
      dualMs: mine.reduce((sum, cycle) => sum + cycle.dualMs, 0),
      dualMaxMs: mine.reduce((max, cycle) => Math.max(max, cycle.dualMs), 0),
      failedCycles: mine.filter((cycle) => !cycle.ok).length,
    };
  };
  return [
    ...FAULT_KINDS.map((kind) => summary(kind, cycles.filter((cycle) => cycle.kind === kind))).filter((s) => s.cycles > 0),
    summary('all', cycles),
  ];
}

export async function runChaosRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  const cycles = ctx.reps ?? CYCLES[ctx.mode];
  const soaks = new Map<DaemonKind, SoakResult>();
  const errors: string[] = [];
  for (const daemon of DAEMONS) {
    const began = Date.now();
    try {
      const soak = await runSoak({
        daemon,
        seed: ctx.seed,
        cycles,
        hotstandbyRoot: ctx.hotstandbyRoot,
        confFor: ({ priority, vip }) => keepalivedConf({ version: 3, advertInt: 0.1, priority, vips: [vip] }),
        log: (line) => ctx.log(`  [${ROW}] ${line}`),
      });
      soaks.set(daemon, soak);
      ctx.log(`  [${ROW}] ${daemon}: ${cycles} cycles in ${((Date.now() - began) / 1000).toFixed(0)} s, ${soak.cycles.filter((c) => !c.ok).length} failed`);
    } catch (error) {
      errors.push(`${daemon} soak: ${errorText(error)}`);
      ctx.log(`  [${ROW}] ${daemon} soak FAILED: ${errorText(error)}`);
    }
  }
  const summaries = new Map([...soaks].map(([daemon, soak]) => [daemon, summariseByKind(soak.cycles)]));
  const hs = summaries.get('hotstandby') ?? [];
  const ka = summaries.get('keepalived') ?? [];
  const kinds = [...new Set([...hs, ...ka].map((s) => s.kind))];
  const cell = (list: typeof hs, kind: string, pick: (s: (typeof hs)[number]) => string): string => {
    const found = list.find((s) => s.kind === kind);
    return found ? pick(found) : '-';
  };
  const table = markdownTable(
    ['fault kind', 'cycles hs / ka', 'converge p50 / p99 hs ms', 'converge p50 / p99 ka ms', 'lost pings hs / ka', 'dual-VIP ms hs / ka (longest)', 'failed cycles hs / ka'],
    kinds.map((kind) => [
      kind,
      `${cell(hs, kind, (s) => String(s.cycles))} / ${cell(ka, kind, (s) => String(s.cycles))}`,
      cell(hs, kind, (s) => pair(s.convergeP50, s.convergeP99, 0)),
      cell(ka, kind, (s) => pair(s.convergeP50, s.convergeP99, 0)),
      `${cell(hs, kind, (s) => String(s.lostPings))} / ${cell(ka, kind, (s) => String(s.lostPings))}`,
      `${cell(hs, kind, (s) => `${fmt(s.dualMs, 0)} (${fmt(s.dualMaxMs, 0)})`)} / ${cell(ka, kind, (s) => `${fmt(s.dualMs, 0)} (${fmt(s.dualMaxMs, 0)})`)}`,
      `${cell(hs, kind, (s) => String(s.failedCycles))} / ${cell(ka, kind, (s) => String(s.failedCycles))}`,
    ]),
  );
  const failed = [...soaks].flatMap(([daemon, soak]) => soak.cycles.filter((c) => !c.ok).map((c) => `${shortName(daemon)} ${describeCycle(c)}`));
  const hsAll = hs.find((s) => s.kind === 'all');
  const kaAll = ka.find((s) => s.kind === 'all');
  const goals: Goal[] = [
    atMost(ROW, 'chaos cycles hotstandby failed to converge', hsAll?.failedCycles ?? Number.NaN, 0, hsAll ? `${hsAll.failedCycles} of ${hsAll.cycles}` : '-', '0'),
    atMost(
      ROW,
      'chaos pings lost, hs − ka',
      hsAll && kaAll ? hsAll.lostPings - kaAll.lostPings : Number.NaN,
      0,
      hsAll && kaAll ? `${hsAll.lostPings} − ${kaAll.lostPings}` : '-',
      '≤ 0',
    ),
  ];
  return [
    {
      id: ROW,
      title: 'Chaos soak (advert_int 0.1 s, the same seeded faults for both)',
      table,
      notes: [
        `${cycles} cycles per daemon, seed ${ctx.seed} (cycle i of a seed is the same for both daemons and in every run). ` +
          'Converge: from the end of the fault (a restarted daemon: from its first state) to the client’s first answer with the VIP on the right node alone and the client’s neighbour entry on its MAC; ' +
          'over every check of the kind (takeover while a daemon is down, and recovery after). ' +
          `A cycle fails when a check is not so within 3 × advert_int + 2 s (held for 0.5 s); the pair is then restarted clean. ` +
          'Dual-VIP: time two nodes had the VIP on their interface at once (ip monitor), not counting a node while its daemon is dead from kill -9. ' +
          'Lost pings: 10 ms probes unanswered during the cycle, including the faults’ own outages.',
        ...(failed.length > 0 ? ['Failed cycles:', ...failed.map((line) => `- ${line}`)] : []),
      ],
      goals,
      load: load.stop(),
      data: { cycles, seed: ctx.seed, summaries: Object.fromEntries(summaries), soaks: Object.fromEntries(soaks) },
      errors,
    },
  ];
}
