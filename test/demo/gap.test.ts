import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureGap } from '../../src/demo/gap.js';
import type { RequestOutcome } from '../../src/lab/request-outcome.js';

const ok = (at: number, node: string): RequestOutcome => ({ at, ok: true, node });
const fail = (at: number, error = 'ECONNREFUSED'): RequestOutcome => ({ at, ok: false, error });

/** Answers from `node` every 20 ms in [start, end). */
function steady(node: string, start: number, end: number): RequestOutcome[] {
  const out: RequestOutcome[] = [];
  for (let at = start; at < end; at += 20) out.push(ok(at, node));
  return out;
}

test('a failover: the gap runs from the last answer before the fault to the first answer of the new node', () => {
  const outcomes = [...steady('a', 0, 1000), fail(1010), fail(1030), fail(1050), ...steady('b', 1130, 2000)];
  const report = measureGap(outcomes, 1000, 2000);
  // last answer from a at 980, first from b at 1130
  assert.equal(report.gapMs, 150);
  assert.equal(report.before, 'a');
  assert.equal(report.switchedTo, 'b');
  assert.equal(report.after, 'b');
  assert.equal(report.failed, 3);
  assert.equal(report.open, false);
});

test('outcomes may come in any order; failures before the window do not count', () => {
  const outcomes = [...steady('b', 1130, 1500), fail(990), ...steady('a', 0, 1000).reverse(), fail(1010)];
  const report = measureGap(outcomes, 1000, 1500);
  assert.equal(report.gapMs, 150);
  assert.equal(report.failed, 1);
});

test('a hitless switch has a gap of the request interval and no failures', () => {
  const outcomes = [...steady('b', 0, 1000), ...steady('a', 1000, 2000)];
  const report = measureGap(outcomes, 990, 2000);
  assert.equal(report.gapMs, 20);
  assert.equal(report.switchedTo, 'a');
  assert.equal(report.failed, 0);
});

test('no takeover: the gap lasts until the end of the window and is open', () => {
  const outcomes = [...steady('a', 0, 1000), ...[1010, 1030, 1500, 2990].map((at) => fail(at))];
  const report = measureGap(outcomes, 1000, 3000);
  assert.equal(report.gapMs, 3000 - 980);
  assert.equal(report.open, true);
  assert.equal(report.switchedTo, undefined);
  assert.equal(report.after, undefined);
  assert.equal(report.answered, 0);
});

test('answers that merely stop short of the window end are not an open gap', () => {
  const report = measureGap(steady('a', 0, 1000), 500, 1010);
  assert.equal(report.open, false);
  assert.equal(report.gapMs, 30);
});

test('the same node answering again after an outage is no switch', () => {
  const outcomes = [...steady('a', 0, 1000), fail(1100), ...steady('a', 1400, 1600)];
  const report = measureGap(outcomes, 1000, 1600);
  assert.equal(report.switchedTo, undefined);
  assert.equal(report.after, 'a');
  assert.equal(report.gapMs, 420);
});

test('a window that ends before it starts is a RangeError', () => {
  assert.throws(() => measureGap([], 10, 5), RangeError);
});
