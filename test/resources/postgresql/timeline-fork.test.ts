/**
 * The same timeline ID promoted on both nodes of a split (timeline-fork.ts): pg_rewind says "no
 * rewind required" then; the history files show the fork, so the rejoin clones instead.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forkedOnSameTimeline, newestLocalHistory } from '../../../src/resources/postgresql/timeline-fork.js';

// Both promoted from timeline 4 to 5, at different switch points (what the CI run of seed 3052794274 did).
const ours = '1\t0/3000060\tno recovery target specified\n2\t0/30D2E40\tno recovery target specified\n3\t0/3188F80\tno recovery target specified\n4\t0/32BE0A0\tno recovery target specified\n';
const theirs = ours.replace('4\t0/32BE0A0', '4\t0/32C1F28');

test('the same timeline ID with another switch point is a fork; the same history is not; a missing side decides nothing', () => {
  assert.equal(forkedOnSameTimeline({ timeline: 5, text: ours }, theirs), true);
  assert.equal(forkedOnSameTimeline({ timeline: 5, text: ours }, ours), false);
  assert.equal(forkedOnSameTimeline({ timeline: 5, text: ours }, ours.replace(/\n/g, '\r\n')), false);
  assert.equal(forkedOnSameTimeline({ timeline: 5, text: ours }, undefined), false);
  assert.equal(forkedOnSameTimeline(undefined, theirs), false);
});

test('the newest history file of a data directory is found by its timeline number (hex), none on timeline 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-tlfork-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'pg_wal'));
  assert.equal(await newestLocalHistory(dir), undefined);
  writeFileSync(join(dir, 'pg_wal', '000000010000000000000003'), '');
  writeFileSync(join(dir, 'pg_wal', '00000002.history'), 'two');
  writeFileSync(join(dir, 'pg_wal', '0000000A.history'), 'ten');
  writeFileSync(join(dir, 'pg_wal', '00000009.history'), 'nine');
  assert.deepEqual(await newestLocalHistory(dir), { timeline: 10, text: 'ten' });
  assert.equal(await newestLocalHistory(join(dir, 'missing')), undefined);
});
