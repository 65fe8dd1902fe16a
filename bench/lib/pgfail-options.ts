/**
 * Narrowing the postgresql-failover row for a focused measurement (env, like BENCH_SCALE_SECONDS):
 *
 *   BENCH_PGFAIL_FAULTS=power-off,kill-postgres   only these fault kinds (src/lab/pgfail/plan.ts)
 *   BENCH_PGFAIL_PAIRS=hotstandby+etcd            only these pairs: hotstandby+etcd, hotstandby,
 *                                                 patroni, sync-cost (the throughput measurement)
 *   BENCH_PGFAIL_CLIENT=single                    the writers' connect: hedged (default) or single
 *                                                 (one attempt, 1 s timeout: the client before hedging)
 *   BENCH_PGFAIL_KEEP_LOGS=/tmp/pgfail-logs        after every fault, print its timeline (fault, the
 *                                                 peer's master-down, witness CAS, pg_promote, VIP,
 *                                                 first write: src/lab/pgfail/timeline.ts) and copy
 *                                                 both daemons' and PostgreSQL's logs to
 *                                                 DIR/<pair>/cycle-NN-<kind>/ (hotstandby pairs)
 *
 * Unset: every fault kind, every pair, the hedged client (the row as issue 11 §4 asks for it).
 */
import { isAbsolute } from 'node:path';
import { FAULT_KINDS, type FaultKind, isFaultKind } from '../../src/lab/pgfail/plan.js';

export const PGFAIL_PAIRS = ['hotstandby+etcd', 'hotstandby', 'patroni', 'sync-cost'] as const;
export type PgfailPair = (typeof PGFAIL_PAIRS)[number];
export type PgfailClient = 'hedged' | 'single';

export interface PgfailOptions {
  readonly faults: readonly FaultKind[];
  readonly pairs: readonly PgfailPair[];
  readonly client: PgfailClient;
  /** BENCH_PGFAIL_KEEP_LOGS: where each cycle's logs and timeline go (absolute path); undefined: not kept. */
  readonly keepLogsDir?: string;
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Reads the row's env options; throws a RangeError naming the variable and the bad value. */
export function pgfailOptionsFrom(env: NodeJS.ProcessEnv = process.env): PgfailOptions {
  const faults = list(env.BENCH_PGFAIL_FAULTS) ?? [...FAULT_KINDS];
  const badFault = faults.find((f) => !isFaultKind(f));
  if (badFault !== undefined) throw new RangeError(`BENCH_PGFAIL_FAULTS: unknown fault kind '${badFault}' (known: ${FAULT_KINDS.join(', ')})`);
  const pairs = list(env.BENCH_PGFAIL_PAIRS) ?? [...PGFAIL_PAIRS];
  const badPair = pairs.find((p) => !(PGFAIL_PAIRS as readonly string[]).includes(p));
  if (badPair !== undefined) throw new RangeError(`BENCH_PGFAIL_PAIRS: unknown pair '${badPair}' (known: ${PGFAIL_PAIRS.join(', ')})`);
  const client = env.BENCH_PGFAIL_CLIENT?.trim() || 'hedged';
  if (client !== 'hedged' && client !== 'single') throw new RangeError(`BENCH_PGFAIL_CLIENT must be 'hedged' or 'single', got '${client}'`);
  const keepLogsDir = env.BENCH_PGFAIL_KEEP_LOGS?.trim() || undefined;
  if (keepLogsDir !== undefined && !isAbsolute(keepLogsDir)) throw new RangeError(`BENCH_PGFAIL_KEEP_LOGS must be an absolute directory path, got '${keepLogsDir}'`);
  return { faults: faults as FaultKind[], pairs: pairs as PgfailPair[], client, ...(keepLogsDir !== undefined ? { keepLogsDir } : {}) };
}

/** The writers' connect settings for a client (writer-process.ts): the single client is the one before hedging. */
export function connectSettings(client: PgfailClient): { connectHedgeMs?: number; connectTimeoutMs?: number } {
  return client === 'single' ? { connectHedgeMs: 0, connectTimeoutMs: 1000 } : {};
}
