/**
 * The file-replication row's large-file comparison runs both tools in several rounds on one lab
 * and reports the medians: one disturbed run (a rsync of 3.02 s against 0.57–0.60 s on its own,
 * 2026-12-05) no longer decides the goal alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throughputRun } from '../../bench/rows/file-replication.js';

const skip = process.getuid?.() !== 0 ? 'needs root (the lab: network namespaces)' : false;

test('throughputRun(mib, undefined, rounds): every round times both tools, the figures are the medians', { skip, timeout: 180_000 }, async () => {
  const r = await throughputRun(8, undefined, 3);
  assert.equal(r.runs.length, 3);
  for (const run of r.runs) {
    assert.ok(run.hotstandby_s > 0 && Number.isFinite(run.hotstandby_s), `hotstandby ${run.hotstandby_s}`);
    assert.ok(run.rsync_s > 0 && Number.isFinite(run.rsync_s), `rsync ${run.rsync_s}`);
  }
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[1];
  assert.equal(r.hotstandby_s, mid(r.runs.map((x) => x.hotstandby_s)));
  assert.equal(r.rsync_s, mid(r.runs.map((x) => x.rsync_s)));
  assert.equal(r.ratio, r.rsync_s / r.hotstandby_s);
});
