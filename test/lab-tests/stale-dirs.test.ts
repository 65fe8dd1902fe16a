/** Directories of dead owners (src/lab/stale-dirs.ts): removed, unless their owner runs or they were kept. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KEPT_MARKER, ownerPid, sweepStaleDirs } from '../../src/lab/stale-dirs.js';

/** The pid of a process that has ended (and been reaped). */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

test('ownerPid() reads the pid after the prefix, and nothing from other names', () => {
  assert.equal(ownerPid('hslab-10000-167-CS6xTD', 'hslab-'), 10000);
  assert.equal(ownerPid('hotstandby-bench-42-Iq3Xvh', 'hotstandby-bench-'), 42);
  assert.equal(ownerPid('hslab-x-1-', 'hslab-'), undefined);
  assert.equal(ownerPid('other-10000-1', 'hslab-'), undefined);
});

test("sweepStaleDirs() removes a dead owner's directory and leaves live owners', this process's and kept ones", (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'stale-dirs-test-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const dead = deadPid();
  const make = (name: string): string => {
    const path = join(parent, name);
    mkdirSync(join(path, 'data'), { recursive: true });
    writeFileSync(join(path, 'data', 'PG_VERSION'), '15\n');
    return path;
  };
  const stale = make(`hslab-${dead}-7-aaaaaa`);
  const kept = make(`hslab-${dead}-8-bbbbbb`);
  writeFileSync(join(kept, KEPT_MARKER), '');
  const mine = make(`hslab-${process.pid}-9-cccccc`);
  const init = make('hslab-1-10-dddddd'); // pid 1 always runs
  const other = make(`other-${dead}-1-eeeeee`);
  assert.deepEqual(sweepStaleDirs('hslab-', parent), [stale]);
  assert.equal(existsSync(stale), false);
  for (const path of [kept, mine, init, other]) assert.equal(existsSync(path), true, path);
});

test('sweepStaleDirs() of a missing parent removes nothing and does not throw', () => {
  assert.deepEqual(sweepStaleDirs('hslab-', join(tmpdir(), 'no-such-dir-for-stale-dirs-test')), []);
});
