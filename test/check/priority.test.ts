import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contributionOf, priorityOf, type TrackedCheck } from '../../src/check/priority.js';

const script = (healthy: boolean, weight: number, name = 'web'): TrackedCheck => ({ weight, check: { name, kind: 'exec', healthy } });
const file = (value: number | undefined, weight: number, name = 'f'): TrackedCheck => ({ weight, check: { name, kind: 'file', healthy: true, value } });

const table: Array<{ what: string; base: number; tracked: TrackedCheck[]; priority: number; faults: string[] }> = [
  { what: 'nothing tracked', base: 100, tracked: [], priority: 100, faults: [] },
  { what: 'positive weight, healthy: added', base: 100, tracked: [script(true, 20)], priority: 120, faults: [] },
  { what: 'positive weight, failed: nothing', base: 100, tracked: [script(false, 20)], priority: 100, faults: [] },
  { what: 'negative weight, healthy: nothing', base: 100, tracked: [script(true, -30)], priority: 100, faults: [] },
  { what: 'negative weight, failed: added', base: 100, tracked: [script(false, -30)], priority: 70, faults: [] },
  { what: 'weight 0, healthy: nothing', base: 100, tracked: [script(true, 0)], priority: 100, faults: [] },
  { what: 'weight 0, failed: fault', base: 100, tracked: [script(false, 0)], priority: 100, faults: ["exec check 'web' failed"] },
  { what: 'several add up', base: 100, tracked: [script(true, 10, 'a'), script(false, -5, 'b'), script(true, -50, 'c')], priority: 105, faults: [] },
  { what: 'clamped to 254', base: 250, tracked: [script(true, 50)], priority: 254, faults: [] },
  { what: 'clamped to 1', base: 10, tracked: [script(false, -254)], priority: 1, faults: [] },
  { what: 'owner keeps 255 when a positive weight applies', base: 255, tracked: [script(true, 10)], priority: 255, faults: [] },
  { what: 'owner keeps 255 when a negative weight applies', base: 255, tracked: [script(false, -100)], priority: 255, faults: [] },
  { what: 'owner still faults with weight 0', base: 255, tracked: [script(false, 0, 'db')], priority: 255, faults: ["exec check 'db' failed"] },
  { what: 'file: value × weight', base: 100, tracked: [file(3, 5)], priority: 115, faults: [] },
  { what: 'file: negative value × weight', base: 100, tracked: [file(-2, 10)], priority: 80, faults: [] },
  { what: 'file: value × negative weight', base: 100, tracked: [file(4, -10)], priority: 60, faults: [] },
  { what: 'file: missing value counts as 0', base: 100, tracked: [file(undefined, 10)], priority: 100, faults: [] },
  { what: 'file: contribution limited to 254', base: 10, tracked: [file(1000, 1)], priority: 254, faults: [] },
  { what: 'file: weight 0 and 0: nothing', base: 100, tracked: [file(0, 0)], priority: 100, faults: [] },
  { what: 'file: weight 0 and non-zero: fault', base: 100, tracked: [file(7, 0, 'maint')], priority: 100, faults: ["file check 'maint' reads 7 (weight 0)"] },
  { what: 'file: weight 0 and negative: fault', base: 100, tracked: [file(-1, 0, 'maint')], priority: 100, faults: ["file check 'maint' reads -1 (weight 0)"] },
  { what: 'file: the healthy flag does not matter', base: 100, tracked: [{ weight: 2, check: { kind: 'file', healthy: false, value: 5 } }], priority: 110, faults: [] },
  {
    what: 'several faults are all reported',
    base: 100,
    tracked: [script(false, 0, 'a'), file(1, 0, 'b'), script(true, 0, 'c')],
    priority: 100,
    faults: ["exec check 'a' failed", "file check 'b' reads 1 (weight 0)"],
  },
];

for (const row of table) {
  test(`priorityOf: ${row.what}`, () => {
    const result = priorityOf(row.base, row.tracked);
    assert.equal(result.priority, row.priority);
    assert.deepEqual(result.faultReasons, row.faults);
  });
}

test('contributionOf names the kind when the check has no name', () => {
  assert.deepEqual(contributionOf(0, { kind: 'http', healthy: false }), { delta: 0, fault: 'http check failed' });
  assert.deepEqual(contributionOf(12, { kind: 'tcp', healthy: true }), { delta: 12 });
});
