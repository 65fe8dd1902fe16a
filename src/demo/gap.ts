/**
 * What the client saw around a fault: the longest stretch without a successful answer, and which
 * node answered before and after. Pure: works on the client's request outcomes.
 */
import type { RequestOutcome } from '../lab/index.js';

export interface GapReport {
  /**
   * Longest time without a successful answer: between consecutive answers, counting from the
   * last answer before the window, and until the window's end when the answers stopped for good.
   */
  gapMs: number;
  /** The node answering just before the window (undefined when none had answered yet). */
  before: string | undefined;
  /** The first node in the window answering that is not `before`, if any. */
  switchedTo: string | undefined;
  /** The node of the last answer in the window; undefined when none came. */
  after: string | undefined;
  /** Requests that finished in the window without an answer. */
  failed: number;
  answered: number;
  /** The longest stretch runs to the window's end, with failed requests in it: answers have not resumed. */
  open: boolean;
}

/**
 * Measures the window [from, to] of `outcomes` (in any order). The first answer of a new node
 * after a fault ends the gap; a gap that reaches `to` is `open`.
 */
export function measureGap(outcomes: readonly RequestOutcome[], from: number, to: number): GapReport {
  if (!(to >= from)) throw new RangeError(`Window end ${to} is before its start ${from}`);
  const sorted = [...outcomes].sort((x, y) => x.at - y.at);
  let last: RequestOutcome | undefined;
  for (const outcome of sorted) {
    if (outcome.at > from) break;
    if (outcome.ok) last = outcome;
  }
  const before = last?.node;
  let previousAt = last?.at ?? from;
  let gapMs = 0;
  let failed = 0;
  let answered = 0;
  let switchedTo: string | undefined;
  let after: string | undefined;
  let failedSinceAnswer = false;
  for (const outcome of sorted) {
    if (outcome.at <= from || outcome.at > to) continue;
    if (!outcome.ok) {
      failed++;
      failedSinceAnswer = true;
      continue;
    }
    failedSinceAnswer = false;
    answered++;
    gapMs = Math.max(gapMs, outcome.at - previousAt);
    previousAt = outcome.at;
    after = outcome.node;
    if (switchedTo === undefined && outcome.node !== before) switchedTo = outcome.node;
  }
  const tail = to - previousAt;
  const open = tail > gapMs && failedSinceAnswer;
  return { gapMs: Math.max(gapMs, tail), before, switchedTo, after, failed, answered, open };
}
