/**
 * The postgresql-failover row's figures for one pair (pure): issue 11 §4's fields (failovers,
 * lost_acknowledged, first_write_p50_ms, first_write_p99_ms) over all faults, the same over the
 * primary's deaths alone (the issue's goal is stated for those: a 2 s pause of PostgreSQL cannot
 * have its first write within 1 s without failing over on every 2 s stall), and per fault kind, so
 * a tail can be traced to the fault that made it.
 */
import { PRIMARY_DEATHS } from '../../src/lab/pgfail/plan.js';
import type { CycleResult } from '../../src/lab/pgfail/run.js';
import { percentile } from '../stats.js';

export interface FirstWriteFigures {
  first_write_p50_ms: number | null;
  first_write_p99_ms: number | null;
  first_write_max_ms: number | null;
  /** Faults after which no write was acknowledged within the wait. */
  no_first_write: number;
}

export interface KindFigures extends FirstWriteFigures {
  n: number;
  /** Faults after which the primary had moved to the other node once settled. */
  moved: number;
}

export interface PairFigures extends FirstWriteFigures {
  failovers: number;
  primary_moved: number;
  lost_acknowledged: number;
  anomalies: number;
  acknowledged: number;
  unknown: number;
  /** The first-write figures over the faults that kill the primary (PRIMARY_DEATHS) alone. */
  deaths: FirstWriteFigures;
  by_kind: Record<string, KindFigures>;
  error?: string;
}

const rounded = (v: number): number | null => (Number.isFinite(v) ? Math.round(v) : null);

/** p50, p99 (nearest rank, stats.ts) and max of the cycles' first-write times, and how many had none. */
export function firstWriteFigures(cycles: readonly CycleResult[]): FirstWriteFigures {
  const times = cycles.map((c) => c.firstWriteMs).filter((v): v is number => v !== undefined);
  return {
    first_write_p50_ms: rounded(percentile(times, 50)),
    first_write_p99_ms: rounded(percentile(times, 99)),
    first_write_max_ms: times.length > 0 ? Math.round(Math.max(...times)) : null,
    no_first_write: cycles.length - times.length,
  };
}

/** A pair's figures from its cycles and the checker's counts over the whole history. */
export function pairFigures(cycles: readonly CycleResult[], lost: number, anomalies: number, acknowledged: number, unknown: number): PairFigures {
  const byKind: Record<string, KindFigures> = {};
  for (const kind of new Set(cycles.map((c) => c.kind))) {
    const of = cycles.filter((c) => c.kind === kind);
    byKind[kind] = { n: of.length, moved: of.filter((c) => c.from !== c.to).length, ...firstWriteFigures(of) };
  }
  return {
    failovers: cycles.length,
    primary_moved: cycles.filter((c) => c.from !== c.to).length,
    lost_acknowledged: lost,
    anomalies,
    acknowledged,
    unknown,
    ...firstWriteFigures(cycles),
    deaths: firstWriteFigures(cycles.filter((c) => PRIMARY_DEATHS.includes(c.kind))),
    by_kind: byKind,
  };
}
