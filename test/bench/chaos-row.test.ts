/** Row 7's summary per fault kind and its name on the command line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseByKind } from '../../bench/rows/chaos.js';
import { parseBenchOptions } from '../../bench/lib/options.js';
import type { CycleResult } from '../../src/lab/chaos/index.js';

function cycle(kind: CycleResult['kind'], convergeMs: (number | null)[], lost: number, dualMs: number): CycleResult {
  const checks = convergeMs.map((ms, step) => ({ step, expected: 'a', excused: [], ok: ms !== null, convergeMs: ms }));
  return { index: 0, seed: 1, kind, steps: '', ok: checks.every((c) => c.ok), checks, sent: 100, lost, startedAt: 0, dualMs, durationMs: 1000, repaired: false };
}

test('summariseByKind(): converge percentiles over every converged check, lost pings and dual-VIP time summed, failed cycles counted', () => {
  const summaries = summariseByKind([
    cycle('kill9-master', [300, 100], 2, 40),
    cycle('kill9-master', [350, null], 30, 900),
    cycle('delay', [5], 0, 0),
  ]);
  assert.deepEqual(
    summaries.map((s) => s.kind),
    ['kill9-master', 'delay', 'all'],
    'kinds that came up, in the plan order, then all',
  );
  const kill = summaries[0];
  assert.deepEqual(kill, { kind: 'kill9-master', cycles: 2, convergeP50: 300, convergeP99: 350, lostPings: 32, dualMs: 940, dualMaxMs: 900, failedCycles: 1 });
  assert.equal(summaries[2]?.cycles, 3);
  assert.equal(summaries[2]?.failedCycles, 1);
});

test("--only takes 'chaos' for row 7", () => {
  assert.deepEqual(parseBenchOptions(['--only', 'chaos'], {}).only, ['7']);
  assert.deepEqual(parseBenchOptions(['--only', '1,chaos', '--quick'], {}).only, ['1', '7']);
  assert.throws(() => parseBenchOptions(['--only', 'chaos2'], {}), /names no known rows/);
});
