/** The postgresql-failover row's figures (bench/lib/pgfail-figures.ts): issue 11 §4's fields, overall and per fault kind. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairFigures } from '../../bench/lib/pgfail-figures.js';
import type { CycleResult } from '../../src/lab/pgfail/run.js';
import type { FaultKind } from '../../src/lab/pgfail/plan.js';

function cycle(index: number, kind: FaultKind, firstWriteMs: number | undefined, moved = true): CycleResult {
  return { index, kind, from: 'a', to: moved ? 'b' : 'a', firstWriteMs, settledMs: 10_000 };
}

test('pairFigures() gives the issue\'s fields over all faults and the checker\'s counts as given', () => {
  const cycles = [cycle(0, 'kill-postgres', 200), cycle(1, 'power-off', 600), cycle(2, 'power-off', 2647), cycle(3, 'split', undefined, false)];
  const f = pairFigures(cycles, 0, 0, 1000, 3);
  assert.equal(f.failovers, 4);
  assert.equal(f.primary_moved, 3);
  assert.equal(f.lost_acknowledged, 0);
  assert.equal(f.acknowledged, 1000);
  assert.equal(f.unknown, 3);
  assert.equal(f.first_write_p50_ms, 600);
  assert.equal(f.first_write_p99_ms, 2647);
  assert.equal(f.first_write_max_ms, 2647);
  assert.equal(f.no_first_write, 1);
});

test('pairFigures() names the fault kind of a tail: p99, max and faults without a first write per kind', () => {
  const cycles = [
    ...Array.from({ length: 9 }, (_, i) => cycle(i, 'power-off', 500 + i)),
    cycle(9, 'power-off', 2647),
    ...Array.from({ length: 10 }, (_, i) => cycle(10 + i, 'kill-postgres', 200 + i)),
    cycle(20, 'split', undefined, false),
  ];
  const { by_kind: byKind } = pairFigures(cycles, 0, 0, 0, 0);
  assert.deepEqual(byKind['power-off'], { n: 10, moved: 10, first_write_p50_ms: 504, first_write_p99_ms: 2647, first_write_max_ms: 2647, no_first_write: 0 });
  assert.deepEqual(byKind['kill-postgres'], { n: 10, moved: 10, first_write_p50_ms: 204, first_write_p99_ms: 209, first_write_max_ms: 209, no_first_write: 0 });
  assert.deepEqual(byKind['split'], { n: 1, moved: 0, first_write_p50_ms: null, first_write_p99_ms: null, first_write_max_ms: null, no_first_write: 1 });
});

test('pairFigures() gives the first-write figures over the primary\'s deaths alone, without the pauses and splits', () => {
  const cycles = [
    cycle(0, 'kill-postgres', 300),
    cycle(1, 'kill-daemon-and-postgres', 500),
    cycle(2, 'power-off', 900),
    cycle(3, 'pause-postgres', 2050, false),
    cycle(4, 'split', 1900),
    cycle(5, 'switchover', 20),
  ];
  const f = pairFigures(cycles, 0, 0, 0, 0);
  assert.equal(f.first_write_p99_ms, 2050);
  assert.deepEqual(f.deaths, { first_write_p50_ms: 500, first_write_p99_ms: 900, first_write_max_ms: 900, no_first_write: 0 });
});
