import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronMatches, nextRun, parseCron, previousRun } from '../../../src/backup/jobs/cron.js';

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('parseCron() reads numbers, ranges, lists, steps, names and macros', () => {
  const s = parseCron('*/15 2-4,22 1 jan-mar,DEC mon-fri');
  assert.deepEqual([...s.minutes], [0, 15, 30, 45]);
  assert.deepEqual([...s.hours], [2, 3, 4, 22]);
  assert.deepEqual([...s.months], [1, 2, 3, 12]);
  assert.deepEqual([...s.weekdays], [1, 2, 3, 4, 5]);
  assert.deepEqual([...parseCron('0 0 * * 7').weekdays], [0], '7 is Sunday');
  assert.deepEqual([...parseCron('5/20 * * * *').minutes], [5, 25, 45], 'a start with a step runs to the end');
  assert.deepEqual(parseCron('@daily').minutes, parseCron('0 0 * * *').minutes);
  assert.deepEqual([...parseCron('@weekly').weekdays], [0]);
});

test('parseCron() rejects what is not a cron expression, quoting it', () => {
  assert.throws(() => parseCron('0 2 * *'), /'0 2 \* \*' has 4 fields; it needs 5/);
  assert.throws(() => parseCron('60 2 * * *'), /minute 60 is out of range 0-59/);
  assert.throws(() => parseCron('0 2 * * funday'), /'funday' is not a day of week/);
  assert.throws(() => parseCron('*/0 * * * *'), /step '0' must be a whole number above 0/);
  assert.throws(() => parseCron('0 5-2 * * *'), /range 5-2 ends before it starts/);
  assert.throws(() => parseCron('@fortnightly'), /unknown macro/);
  assert.throws(() => parseCron('1,,2 * * * *'), /not a minute list item/);
});

test('nextRun() and previousRun() find the neighbouring runs in UTC', () => {
  const daily = parseCron('30 2 * * *');
  assert.equal(iso(nextRun(daily, at('2026-12-02T02:29:59Z'), 'utc')), '2026-12-02T02:30:00.000Z');
  assert.equal(iso(nextRun(daily, at('2026-12-02T02:30:00Z'), 'utc')), '2026-12-03T02:30:00.000Z', 'strictly after');
  assert.equal(iso(previousRun(daily, at('2026-12-02T02:30:00Z'), 'utc')), '2026-12-02T02:30:00.000Z', 'at or before');
  assert.equal(iso(previousRun(daily, at('2026-12-02T02:29:00Z'), 'utc')), '2026-12-01T02:30:00.000Z');
  // Month ends and leap years.
  assert.equal(iso(nextRun(parseCron('0 0 29 2 *'), at('2026-03-01T00:00:00Z'), 'utc')), '2028-02-29T00:00:00.000Z');
  assert.equal(iso(previousRun(parseCron('0 0 31 * *'), at('2026-12-02T00:00:00Z'), 'utc')), '2026-10-31T00:00:00.000Z');
  assert.equal(nextRun(parseCron('0 0 30 2 *'), at('2026-01-01T00:00:00Z'), 'utc'), undefined, '30 February never comes');
});

test('both day fields restricted: either matches (crontab(5))', () => {
  const s = parseCron('0 12 1 * fri');
  assert.ok(cronMatches(s, at('2026-12-01T12:00:00Z'), 'utc'), 'the 1st (a Tuesday)');
  assert.ok(cronMatches(s, at('2026-12-04T12:00:00Z'), 'utc'), 'a Friday');
  assert.ok(!cronMatches(s, at('2026-12-03T12:00:00Z'), 'utc'));
  const only = parseCron('0 12 * * fri');
  assert.ok(!cronMatches(only, at('2026-12-01T12:00:00Z'), 'utc'), 'a * day of month does not widen it');
});

test('every run of a year agrees with cronMatches minute by minute (a sampled brute force)', () => {
  const s = parseCron('*/20 1,13 */3 * mon,thu');
  let t = at('2026-01-01T00:00:00Z');
  for (let i = 0; i < 200; i++) {
    const n = nextRun(s, t, 'utc')!;
    assert.ok(cronMatches(s, n, 'utc'));
    for (let m = t + 60_000 - (t % 60_000); m < n; m += 60_000) assert.ok(!cronMatches(s, m, 'utc'), `no match skipped before ${iso(n)}`);
    assert.equal(previousRun(s, n + 59_999, 'utc'), n);
    t = n;
  }
});

test('local time across a daylight-saving change (Europe/Berlin) keeps 00:30 and skips 02:30 on the short day', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'Europe/Berlin';
  try {
    // 2026-03-29: clocks go from 02:00 to 03:00 (a 23-hour day).
    const half = parseCron('30 0 * * *');
    assert.equal(iso(nextRun(half, at('2026-03-28T12:00:00Z'), 'local')), '2026-03-28T23:30:00.000Z', '00:30 CET on the 29th');
    assert.equal(iso(nextRun(half, at('2026-03-29T00:00:00Z'), 'local')), '2026-03-29T22:30:00.000Z', '00:30 CEST on the 30th');
    const skipped = parseCron('30 2 * * *');
    assert.equal(iso(nextRun(skipped, at('2026-03-28T12:00:00Z'), 'local')), '2026-03-30T00:30:00.000Z', '02:30 does not exist on the 29th');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});
