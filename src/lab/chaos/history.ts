/**
 * The checker, pure (in Jepsen's manner: the history is the data): who held the VIP when and where
 * the client's neighbour entry pointed, as recorded by monitors; from it, since when the pair has
 * been as the oracle expects, how long two live nodes held the VIP at once, and the verdict of a
 * check against its deadline.
 */
import type { Expectation } from './oracle.js';

export interface HoldingEvent {
  /** Epoch ms. */
  ms: number;
  host: string;
  held: boolean;
}

export interface NeighbourChange {
  ms: number;
  /** The MAC the client's entry for the VIP now has; undefined when it has none. */
  mac: string | undefined;
}

export interface VipHistory {
  /** In time order; a host absent from it never held the VIP. */
  holding: readonly HoldingEvent[];
  /** In time order. */
  neighbour: readonly NeighbourChange[];
}

/** A span of time (epoch ms, end exclusive) during which a host is excused for holding the VIP. */
export interface Excuse {
  host: string;
  from: number;
  to: number;
}

type Change = { ms: number; holding: HoldingEvent } | { ms: number; neighbour: NeighbourChange };

function changesUntil(history: VipHistory, until: number): Change[] {
  const changes: Change[] = [
    ...history.holding.filter((e) => e.ms <= until).map((holding) => ({ ms: holding.ms, holding })),
    ...history.neighbour.filter((e) => e.ms <= until).map((neighbour) => ({ ms: neighbour.ms, neighbour })),
  ];
  // Stable: events of one monitor keep their order when their times tie.
  return changes.sort((x, y) => x.ms - y.ms);
}

/** Applies a change to the holders (in place); returns the neighbour MAC after it. */
function applyChange(holders: Set<string>, mac: string | undefined, change: Change): string | undefined {
  if (!('holding' in change)) return change.neighbour.mac;
  if (change.holding.held) holders.add(change.holding.host);
  else holders.delete(change.holding.host);
  return mac;
}

/** The hosts holding the VIP and the client's neighbour MAC at `at`. */
export function stateAt(history: VipHistory, at: number): { holders: string[]; mac: string | undefined } {
  const holders = new Set<string>();
  let mac: string | undefined;
  for (const change of changesUntil(history, at)) mac = applyChange(holders, mac, change);
  return { holders: [...holders].sort(), mac };
}

function isRight(holders: ReadonlySet<string>, mac: string | undefined, expected: Expectation, expectedMac: string): boolean {
  if (!holders.has(expected.holder) || mac !== expectedMac) return false;
  for (const host of holders) if (host !== expected.holder && !expected.excused.includes(host)) return false;
  return true;
}

/**
 * Since when (epoch ms) the VIP has been on the expected holder and on no other node but the
 * excused, with the client's neighbour entry on the holder's MAC, without a break up to `now`;
 * undefined when that is not so at `now`.
 */
export function rightSince(history: VipHistory, expected: Expectation, expectedMac: string, now: number): number | undefined {
  const holders = new Set<string>();
  let mac: string | undefined;
  let since: number | undefined;
  for (const change of changesUntil(history, now)) {
    mac = applyChange(holders, mac, change);
    const right = isRight(holders, mac, expected, expectedMac);
    if (!right) since = undefined;
    else if (since === undefined) since = change.ms;
  }
  return since;
}

/**
 * Milliseconds within [from, to) during which two or more nodes held the VIP, not counting a node
 * while it is excused (its daemon killed: the kernel keeps the address of a dead process).
 */
export function dualHoldingMs(history: VipHistory, from: number, to: number, excuses: readonly Excuse[]): number {
  if (to <= from) return 0;
  const bounds = new Set<number>([from, to]);
  for (const event of history.holding) if (event.ms > from && event.ms < to) bounds.add(event.ms);
  for (const excuse of excuses) for (const ms of [excuse.from, excuse.to]) if (ms > from && ms < to) bounds.add(ms);
  const points = [...bounds].sort((x, y) => x - y);
  let total = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    const holders = stateAt({ holding: history.holding, neighbour: [] }, start).holders;
    const counted = holders.filter((host) => !excuses.some((e) => e.host === host && e.from <= start && start < e.to));
    if (counted.length >= 2) total += end - start;
  }
  return total;
}

export type Verdict = { state: 'pending' } | { state: 'converged'; convergeMs: number } | { state: 'failed' };

export interface VerdictInput {
  /** From rightSince at `now`. */
  rightSince: number | undefined;
  /** The client's first reply at or after max(rightSince, from), or null. */
  replyAt: number | null;
  /** When the step before the check finished (a restarted daemon: when it entered its first state). */
  from: number;
  /** from + the allowed convergence time. */
  deadline: number;
  /** How long the right state must last before a check passes. */
  settleMs: number;
  now: number;
}

/**
 * Converged: the client was answered by the right holder by the deadline, and it has stayed right
 * for settleMs. Failed: not so by deadline + settleMs. The convergence time is that first answer
 * minus `from` (0 when nothing had to change).
 */
export function verdict(input: VerdictInput): Verdict {
  const { rightSince: since, replyAt, from, deadline, settleMs, now } = input;
  if (since !== undefined && replyAt !== null && replyAt <= deadline && now >= Math.max(since, replyAt) + settleMs) {
    return { state: 'converged', convergeMs: Math.max(0, replyAt - from) };
  }
  return now >= deadline + settleMs ? { state: 'failed' } : { state: 'pending' };
}
