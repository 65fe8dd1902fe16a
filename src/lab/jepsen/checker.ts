/**
 * The failover checker (issue 11 §4), a pure function over a history (history.ts), in the way of
 * Jepsen's checkers: it names each anomaly with the operation that shows it.
 *
 * - lost-acknowledged: a write acknowledged before a check read began is missing from that read
 *   (each check reads every row on the current primary, through the VIP).
 * - failed-present: a write that certainly failed is present (the client was told "no" but it
 *   happened: an error classified wrongly, or a commit the client cannot know about).
 * - stale-read: a read missed a write acknowledged before it began (per writer, the highest n
 *   acknowledged is above what the read saw): it was served by a node that is not the current
 *   primary, or by one that lost acknowledged data.
 * - served-by-standby: an operation through the VIP was answered by a node in recovery.
 * - older-timeline: an operation acknowledged on timeline t began after another on a newer
 *   timeline had completed: a primary that is not current still served (split brain).
 */
import type { CheckOp, Op, ReadOp, WriteOp } from './history.js';

export type ViolationKind = 'lost-acknowledged' | 'failed-present' | 'stale-read' | 'served-by-standby' | 'older-timeline';

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
}

export interface CheckResult {
  readonly valid: boolean;
  readonly writes: { readonly ok: number; readonly fail: number; readonly unknown: number; readonly warned: number };
  /** Unknown writes found committed by the last check (as Jepsen resolves :info ops). */
  readonly unknownCommitted: number;
  readonly reads: number;
  readonly checks: number;
  /** Ids of acknowledged writes missing from a later check (each once). */
  readonly lostAcknowledged: readonly string[];
  /** The first few of each kind (LISTED_PER_KIND), with the exact count per kind beside. */
  readonly violations: readonly Violation[];
  readonly violationCounts: Readonly<Partial<Record<ViolationKind, number>>>;
}

/** Each kind of violation is listed up to this many times (the counts stay exact). */
const LISTED_PER_KIND = 20;

export function checkHistory(history: readonly Op[]): CheckResult {
  const writes = history.filter((op): op is WriteOp => op.kind === 'write');
  const reads = history.filter((op): op is ReadOp => op.kind === 'read' && op.outcome === 'ok');
  const checks = history.filter((op): op is CheckOp => op.kind === 'check' && op.outcome === 'ok');
  const violations: Violation[] = [];
  const listed = new Map<ViolationKind, number>();
  const report = (kind: ViolationKind, message: string): void => {
    const count = (listed.get(kind) ?? 0) + 1;
    listed.set(kind, count);
    if (count <= LISTED_PER_KIND) violations.push({ kind, message });
  };

  const acknowledged = writes.filter((w) => w.outcome === 'ok').sort((a, b) => a.completedAt - b.completedAt);
  const lost = new Set<string>();
  for (const check of checks) {
    const present = new Set(check.ids ?? []);
    for (const write of acknowledged) {
      if (write.completedAt >= check.invokedAt) break;
      if (!present.has(write.id) && !lost.has(write.id)) {
        lost.add(write.id);
        report('lost-acknowledged', `write ${write.id} acknowledged by ${describe(write)} at ${stamp(write.completedAt)} is missing from check "${check.label}" read on ${describe(check)} at ${stamp(check.invokedAt)}`);
      }
    }
    for (const write of writes) {
      if (write.outcome === 'fail' && present.has(write.id)) {
        report('failed-present', `write ${write.id} failed (${write.error ?? 'no error text'}) but is present in check "${check.label}"`);
      }
    }
  }

  // Per writer, the acknowledged writes in completion order with the running highest n, so that
  // "what must a read that began at t see" is a binary search, not a walk over every earlier write
  // for every read (quadratic: a 30-fault bench run of ~1 M writes never finished its check).
  const byWriter = new Map<string, { completedAt: number[]; required: WriteOp[] }>();
  for (const write of acknowledged) {
    let entry = byWriter.get(write.writer);
    if (entry === undefined) byWriter.set(write.writer, (entry = { completedAt: [], required: [] }));
    const before = entry.required.at(-1);
    entry.completedAt.push(write.completedAt);
    entry.required.push(before === undefined || write.n > before.n ? write : before);
  }
  for (const read of reads) {
    for (const [writer, { completedAt, required: highest }] of byWriter) {
      const count = countBelow(completedAt, read.invokedAt);
      if (count === 0) continue;
      const required = highest[count - 1] as WriteOp;
      const seen = read.maxByWriter?.[writer] ?? 0;
      if (seen < required.n) {
        report('stale-read', `read by ${read.writer} on ${describe(read)} at ${stamp(read.invokedAt)} saw ${writer}'s writes up to ${seen}, but ${required.id} had been acknowledged by ${describe(required)} at ${stamp(required.completedAt)}`);
      }
    }
  }

  const served = history.filter((op) => op.outcome === 'ok' && op.server !== undefined);
  for (const op of served) {
    if (op.server?.inRecovery) report('served-by-standby', `${op.kind} by ${op.writer} at ${stamp(op.completedAt)} was answered by ${op.server.node}, a standby`);
  }
  // Timelines: walk operations by start; an op that began after a newer timeline was observed
  // (completed) must not be acknowledged on an older one.
  const byCompletion = [...served].filter((op) => !op.server?.inRecovery).sort((a, b) => a.completedAt - b.completedAt);
  const byStart = [...served].filter((op) => !op.server?.inRecovery).sort((a, b) => a.invokedAt - b.invokedAt);
  let newest: Op | undefined;
  let j = 0;
  for (const op of byStart) {
    while (j < byCompletion.length && (byCompletion[j] as Op).completedAt < op.invokedAt) {
      const done = byCompletion[j] as Op;
      if (newest === undefined || (done.server?.timeline ?? 0) > (newest.server?.timeline ?? 0)) newest = done;
      j++;
    }
    const timeline = op.server?.timeline ?? 0;
    if (newest !== undefined && timeline < (newest.server?.timeline ?? 0)) {
      report('older-timeline', `${op.kind} by ${op.writer} began at ${stamp(op.invokedAt)} and was acknowledged by ${describe(op)} on timeline ${timeline}, after ${describe(newest)} had answered on timeline ${newest.server?.timeline} at ${stamp(newest.completedAt)}`);
    }
  }

  const last = checks.at(-1);
  const finalIds = new Set(last?.ids ?? []);
  const unknownCommitted = writes.filter((w) => w.outcome === 'unknown' && finalIds.has(w.id)).length;
  const counts = {
    ok: acknowledged.length,
    fail: writes.filter((w) => w.outcome === 'fail').length,
    unknown: writes.filter((w) => w.outcome === 'unknown').length,
    warned: writes.filter((w) => w.outcome === 'ok' && w.warning !== undefined).length,
  };
  return {
    valid: listed.size === 0,
    writes: counts,
    unknownCommitted,
    reads: reads.length,
    checks: checks.length,
    lostAcknowledged: [...lost],
    violations,
    violationCounts: Object.fromEntries(listed),
  };
}

function describe(op: Op): string {
  return op.server === undefined ? 'an unknown server' : `${op.server.node} (timeline ${op.server.timeline})`;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** How many of the ascending `sorted` are below `limit`. */
function countBelow(sorted: readonly number[], limit: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
