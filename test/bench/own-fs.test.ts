/**
 * BENCH_OWN_FS: the lag bench's two trees must really sit on two filesystems of their own, each
 * with a journal (the point: ext4 without one slows file creation after deletions), and leave
 * no mount, loop device or image behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ownFsWanted, sideRoots } from '../../bench/lib/own-fs.js';
import { lagOnOwnFs } from '../../bench/rows/file-replication.js';

function mountSource(path: string): string {
  return execFileSync('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', path], { encoding: 'utf8' }).trim();
}

test('each side gets its own journaled ext4, and dispose leaves nothing mounted', { skip: process.getuid?.() !== 0 && 'needs root (mount)' }, () => {
  const base = mkdtempSync(join(tmpdir(), 'own-fs-test-'));
  try {
    const sides = sideRoots(base, ['source', 'replica'], true);
    const mounts = sides.roots.map((root) => join(root, '..'));
    let disposed = false;
    try {
      const devices = sides.roots.map((root) => statSync(root).dev);
      assert.notEqual(devices[0], devices[1], 'the two trees share a filesystem');
      assert.ok(!devices.includes(statSync(base).dev), 'a tree is on the base filesystem');
      for (const mount of mounts) {
        const loop = basename(mountSource(mount));
        assert.match(loop, /^loop\d+$/);
        // ext4 shows its journal thread here; "<none>" means no journal.
        assert.notEqual(readFileSync(`/sys/fs/ext4/${loop}/journal_task`, 'utf8').trim(), '<none>');
      }
      writeFileSync(join(sides.roots[1]!, 'f'), 'x');
      sides.dispose();
      disposed = true;
      for (const mount of mounts) assert.ok(!existsSync(mount), `${mount} is still there`);
      const mounted = readFileSync('/proc/mounts', 'utf8');
      assert.ok(!mounted.includes(base), 'a mount under the base is left');
    } finally {
      if (!disposed) sides.dispose();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('without own filesystems the sides are plain directories under the base', () => {
  const base = mkdtempSync(join(tmpdir(), 'own-fs-test-'));
  try {
    const sides = sideRoots(base, ['source', 'replica'], false);
    assert.deepEqual(sides.roots, [join(base, 'source'), join(base, 'replica')]);
    assert.equal(statSync(sides.roots[0]!).dev, statSync(base).dev);
    sides.dispose();
    assert.ok(existsSync(sides.roots[0]!));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('BENCH_OWN_FS=1 or --own-fs asks for it; nothing else does', () => {
  assert.equal(ownFsWanted([], { BENCH_OWN_FS: '1' }), true);
  assert.equal(ownFsWanted(['node', 'x', '--own-fs'], {}), true);
  assert.equal(ownFsWanted(['node', 'x'], { BENCH_OWN_FS: '0' }), false);
});

test('the file-replication row runs its lag on each node\'s own filesystem unless BENCH_OWN_FS=0', () => {
  assert.equal(lagOnOwnFs(['node', 'x'], {}), true);
  assert.equal(lagOnOwnFs(['node', 'x'], { BENCH_OWN_FS: '0' }), false);
  assert.equal(lagOnOwnFs(['node', 'x', '--own-fs'], { BENCH_OWN_FS: '0' }), false);
  // bench/replicate-lag.js keeps the shared root unless asked.
  assert.equal(ownFsWanted(['node', 'x'], {}), false);
});
