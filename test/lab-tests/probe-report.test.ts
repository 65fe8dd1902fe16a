import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProbeReport, type ProbeRecord } from '../../src/lab/probe-report.js';

/** Requests every 10 ms from t=0, answered 1 ms later unless listed as lost. */
function records(count: number, lost: ReadonlySet<number>): ProbeRecord[] {
  return Array.from({ length: count }, (_, seq) => ({
    sentAt: seq * 10,
    repliedAt: lost.has(seq) ? undefined : seq * 10 + 1,
  }));
}

test('without loss there is no gap', () => {
  const report = buildProbeReport(records(100, new Set()), 1000);
  assert.equal(report.sent, 100);
  assert.equal(report.received, 100);
  assert.equal(report.lost, 0);
  assert.equal(report.maxGapMs, 0);
  assert.deepEqual(report.gaps, []);
  assert.deepEqual(report.rttMs, { min: 1, avg: 1, max: 1 });
});

test('a run of lost replies is a gap from the last reply before to the first after', () => {
  const report = buildProbeReport(records(100, new Set([20, 21, 22, 23, 24])), 1000);
  assert.equal(report.lost, 5);
  assert.equal(report.gaps.length, 1);
  assert.deepEqual(report.gaps[0], { afterSeq: 19, beforeSeq: 25, lost: 5, startedAt: 191, ms: 60, open: false });
  assert.equal(report.maxGapMs, 60);
});

test('the longest of several gaps is the maximum', () => {
  const report = buildProbeReport(records(100, new Set([10, 50, 51, 52])), 1000);
  assert.deepEqual(report.gaps.map((gap) => gap.ms), [20, 40]);
  assert.equal(report.maxGapMs, 40);
});

test('requests before the first reply (address resolution) are not counted', () => {
  const report = buildProbeReport(records(100, new Set([0, 1, 2])), 1000);
  assert.equal(report.sent, 97);
  assert.equal(report.lost, 0);
  assert.deepEqual(report.gaps, []);
  assert.equal(report.durationMs, 1000 - 30);
});

test('loss that lasts until the end is an open gap up to the stop', () => {
  const report = buildProbeReport(records(100, new Set([97, 98, 99])), 1000);
  assert.deepEqual(report.gaps, [{ afterSeq: 96, beforeSeq: null, lost: 3, startedAt: 961, ms: 39, open: true }]);
  assert.equal(report.maxGapMs, 39);
});

test('nothing answered at all is one open gap over the whole run', () => {
  const all = new Set(Array.from({ length: 10 }, (_, i) => i));
  const report = buildProbeReport(records(10, all), 150, 0);
  assert.equal(report.received, 0);
  assert.equal(report.lost, 10);
  assert.equal(report.maxGapMs, 150);
  assert.equal(report.rttMs, null);
  assert.equal(buildProbeReport([], 5).maxGapMs, 0);
});

test('duplicates are reported as given', () => {
  assert.equal(buildProbeReport(records(3, new Set()), 30, 2).duplicates, 2);
});
