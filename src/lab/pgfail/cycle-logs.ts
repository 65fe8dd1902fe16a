/**
 * Keeping one failover cycle's logs and its timeline (BENCH_PGFAIL_KEEP_LOGS=DIR): the pair's
 * daemon and PostgreSQL logs as they stand once the cycle settled, copied to
 * DIR/<pair>/cycle-NN-<kind>/, with timeline.txt (every step from the fault to the first
 * acknowledged write, timeline.ts) beside them.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FailoverCluster } from './cluster.js';
import { breakdown, type Breakdown, daemonEvents, etcdEvents, formatBreakdown, formatTimeline, mergeCopies, postgresEvents, type TimelineEvent } from './timeline.js';

export interface CycleLogs {
  readonly timeline: string;
  readonly breakdown: Breakdown;
}

/** The cycle's timeline and breakdown, its logs copied under `dir` (when given); undefined for a pair without logFiles. */
export async function keepCycleLogs(
  cluster: FailoverCluster,
  cycle: { readonly index: number; readonly kind: string; readonly to: string; readonly faultAt: number; readonly ackAt: number | undefined },
  dir: string | undefined,
): Promise<CycleLogs | undefined> {
  const files = cluster.logFiles?.();
  if (files === undefined) return undefined;
  const events: TimelineEvent[] = [];
  const target = dir === undefined ? undefined : join(dir, cluster.label.replace(/[^\w.-]+/g, '_'), `cycle-${String(cycle.index).padStart(3, '0')}-${cycle.kind}`);
  if (target !== undefined) await mkdir(target, { recursive: true });
  for (const [i, file] of files.entries()) {
    const text = await readFile(file.path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // a data directory being cloned again
    events.push(...(file.source === 'daemon' ? daemonEvents(file.host, text) : file.source === 'etcd' ? etcdEvents(file.host, text) : postgresEvents(file.host, text)));
    if (target !== undefined) await copyFile(file.path, join(target, `${file.host}-${file.source}-${i}-${basename(file.path)}`)).catch(() => undefined);
  }
  const timeline = formatTimeline(mergeCopies(events), cycle.faultAt, cycle.ackAt);
  const steps = breakdown(events, cycle.to, cycle.faultAt, cycle.ackAt);
  if (target !== undefined) {
    await writeFile(join(target, 'timeline.txt'), `cycle ${cycle.index}: ${cycle.kind}, new primary ${cycle.to}\n${formatBreakdown(steps)}\n\n${timeline}\n`);
  }
  return { timeline, breakdown: steps };
}
