/**
 * Time from a fault to the first write acknowledged through the VIP that began after it (the
 * "first write" figure of issue 11 §4), and throughput over a window: pure, over a history.
 */
import type { FaultMark, Op } from './history.js';

/** Ms from the fault to the first acknowledgement of a write invoked at or after it; undefined if none. */
export function firstWriteAfter(fault: FaultMark, history: readonly Op[], until = Number.POSITIVE_INFINITY): number | undefined {
  let first: number | undefined;
  for (const op of history) {
    if (op.kind !== 'write' || op.outcome !== 'ok' || op.invokedAt < fault.at || op.completedAt >= until) continue;
    if (first === undefined || op.completedAt < first) first = op.completedAt;
  }
  return first === undefined ? undefined : first - fault.at;
}

/** Acknowledged writes per second completed in [from, to). */
export function writeThroughput(history: readonly Op[], from: number, to: number): number {
  if (!(to > from)) return Number.NaN;
  let n = 0;
  for (const op of history) if (op.kind === 'write' && op.outcome === 'ok' && op.completedAt >= from && op.completedAt < to) n++;
  return (n * 1000) / (to - from);
}
