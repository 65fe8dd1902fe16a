/**
 * The backup benches' restore target: by default (root) a fresh journaled ext4 per restore run,
 * with inodes enough for the set (a million small files do not fit the mkfs default), and nothing
 * mounted, looped or left on disk once disposed; BENCH_RESTORE_FS=shared / --shared-fs as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ownFsSize, restoreFsWanted, restoreTarget } from '../../bench/lib/restore-target.js';

const root = process.getuid?.() === 0;

test('a fresh journaled ext4 per target, with the inodes asked for, and nothing left after dispose', { skip: !root && 'needs root (mount)' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'restore-target-test-'));
  try {
    const files = 300_000;
    const target = restoreTarget(work, 'restore-x', 'own', { files, bytes: 600 << 20 });
    const mount = dirname(target.path);
    let disposed = false;
    try {
      assert.deepEqual(readdirSync(target.path), [], 'the target is not empty');
      assert.notEqual(statSync(target.path).dev, statSync(work).dev, 'the target is on the work directory\'s filesystem');
      const loop = basename(execFileSync('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', mount], { encoding: 'utf8' }).trim());
      assert.match(loop, /^loop\d+$/);
      assert.notEqual(readFileSync(`/sys/fs/ext4/${loop}/journal_task`, 'utf8').trim(), '<none>', 'no journal');
      const inodes = Number(execFileSync('stat', ['-f', '-c', '%c', mount], { encoding: 'utf8' }).trim());
      assert.ok(inodes >= files, `${inodes} inodes, fewer than ${files} files`);
      mkdirSync(join(target.path, 'd'));
      writeFileSync(join(target.path, 'd', 'f'), 'x');
      target.dispose();
      disposed = true;
      assert.ok(!existsSync(mount), `${mount} is still there`);
      assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(work), 'a mount under the work directory is left');
      assert.ok(!execFileSync('losetup', ['-a'], { encoding: 'utf8' }).includes(work), 'a loop device is left');
      assert.deepEqual(readdirSync(work), [], 'the image is left');
    } finally {
      if (!disposed) target.dispose();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a shared target is a directory of the work directory, deleted by dispose', () => {
  const work = mkdtempSync(join(tmpdir(), 'restore-target-test-'));
  try {
    const target = restoreTarget(work, 'restore-y', 'shared', { files: 10, bytes: 100 });
    assert.equal(target.path, join(work, 'restore-y'));
    mkdirSync(join(target.path, 'a'), { recursive: true });
    target.dispose();
    assert.ok(!existsSync(target.path));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('own by default as root; shared when asked, or when not root; a bad value is refused by name', () => {
  assert.equal(restoreFsWanted([], {}, true), 'own');
  assert.equal(restoreFsWanted([], { BENCH_RESTORE_FS: 'own' }, true), 'own');
  assert.equal(restoreFsWanted([], { BENCH_RESTORE_FS: 'shared' }, true), 'shared');
  assert.equal(restoreFsWanted(['node', 'x', '--shared-fs'], {}, true), 'shared');
  assert.equal(restoreFsWanted([], {}, false), 'shared');
  assert.throws(() => restoreFsWanted([], { BENCH_RESTORE_FS: 'own' }, false), /needs root/);
  assert.throws(() => restoreFsWanted([], { BENCH_RESTORE_FS: 'tmpfs' }, true), /BENCH_RESTORE_FS: unknown value 'tmpfs'/);
});

test('a million small files get a million inodes and room for a block each', () => {
  const { mib, inodes } = ownFsSize(1_000_000, 2035 << 20);
  assert.ok(inodes >= 1_000_000);
  assert.ok(mib * (1 << 20) >= 1_000_000 * 4096 + (2035 << 20));
});
