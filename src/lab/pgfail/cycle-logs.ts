/**
 * Keeping one failover cycle's logs and its timeline (BENCH_PGFAIL_KEEP_LOGS=DIR): the pair's
 * daemon and PostgreSQL logs as they stand once the cycle settled (or failed), copied to
 * DIR/<pair>/cycle-NN-<kind>/, with timeline.txt (every step from the fault to the first
 * acknowledged write, timeline.ts) beside them. A failed cycle (the pair did not settle again)
 * also gets failure.txt (the rig's error) and what each node's data directory and daemon say now
 * (the cluster's snapshots: pg_controldata, the daemon's status): the lab directory is swept at
 * the end of the run, and these are what tells why a node stayed unreadable.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FailoverCluster } from './cluster.js';
import { breakdown, type Breakdown, daemonEvents, etcdEvents, formatBreakdown, formatTimeline, mergeCopies, postgresEvents, type TimelineEvent } from './timeline.js';

export interface CycleLogs {
  readonly timeline: string;
  readonly breakdown: Breakdown;
}

export interface CycleMark {
  readonly index: number;
  readonly kind: string;
  /** The primary once settled; undefined for a cycle that failed before settling. */
  readonly to: string | undefined;
  /** The primary before the fault, when known (a failed cycle's stand-in for `to`). */
  readonly from?: string;
  readonly faultAt: number;
  readonly ackAt: number | undefined;
  /** Why the cycle failed (the rig's error); absent for a cycle that settled. */
  readonly failure?: string;
}

/** A file name made of `parts` (anything but word characters, dots and dashes becomes '_'). */
function fileName(...parts: string[]): string {
  return parts.join('-').replace(/[^\w.-]+/g, '_');
}

/** The cycle's timeline and breakdown, its logs copied under `dir` (when given); undefined for a pair without logFiles. */
export async function keepCycleLogs(cluster: FailoverCluster, cycle: CycleMark, dir: string | undefined): Promise<CycleLogs | undefined> {
  const files = cluster.logFiles?.();
  if (files === undefined) return undefined;
  const events: TimelineEvent[] = [];
  const target = dir === undefined ? undefined : join(dir, fileName(cluster.label), `cycle-${String(cycle.index).padStart(3, '0')}-${cycle.kind}`);
  if (target !== undefined) await mkdir(target, { recursive: true });
  for (const [i, file] of files.entries()) {
    const text = await readFile(file.path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // a data directory being cloned again
    events.push(...(file.source === 'daemon' ? daemonEvents(file.host, text) : file.source === 'etcd' ? etcdEvents(file.host, text) : postgresEvents(file.host, text)));
    if (target !== undefined) await copyFile(file.path, join(target, `${file.host}-${file.source}-${i}-${basename(file.path)}`)).catch(() => undefined);
  }
  const timeline = formatTimeline(mergeCopies(events), cycle.faultAt, cycle.ackAt);
  const steps = breakdown(events, cycle.to ?? cycle.from ?? '', cycle.faultAt, cycle.ackAt);
  if (target !== undefined) {
    const outcome = cycle.to !== undefined ? `new primary ${cycle.to}` : `failed (primary before the fault: ${cycle.from ?? 'unknown'})`;
    await writeFile(join(target, 'timeline.txt'), `cycle ${cycle.index}: ${cycle.kind}, ${outcome}\n${formatBreakdown(steps)}\n\n${timeline}\n`);
    if (cycle.failure !== undefined) {
      await writeFile(join(target, 'failure.txt'), `${cycle.failure}\n`);
      for (const snapshot of (await cluster.snapshots?.()) ?? []) {
        await writeFile(join(target, fileName(snapshot.host, snapshot.name) + '.txt'), snapshot.text);
      }
    }
  }
  return { timeline, breakdown: steps };
}
