/**
 * Syscalls per replicated small file on the replica (issue 12: lag p99 ≤ 50 ms at 1,000 files/s
 * needs the replica's kernel time per file down; it was ~10 syscalls a file: create, write, fchown,
 * fchmod, utimensat, 2 sync_file_range, fstatfs, close, rename). A child process applies N files
 * under `strace -f -y`; every traced call whose arguments name the replica's directory (a path, or
 * with -y an fd's path) is counted, so Node's own startup and event loop are not.
 *
 * Bounds, per file, for a file owned by the replica's own user (the create gives it its final mode):
 *   - ext4 / xfs, one group commit: open, write, fstat, futimens, 2 sync_file_range, close, rename
 *     = 8, plus one fstatfs for the directory (was 10 as root, 9 otherwise);
 *   - tmpfs: open, write, fstat, futimens, close, rename = 6 (nothing to sync).
 *   - ext4 without a journal: no commit orders the batch's data and inodes, so each file is
 *     fsynced before its rename (native/sync-batch.cc); the ext4 bounds above are measured on a
 *     journaled ext4 of their own (a loop mount) when the temp directory's has none.
 *   - through ReplicaApplier (batches form by themselves, a directory fsync each): ≤ 9 on average.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import { makeOwnFs } from '../../bench/lib/own-fs.js';

const TMPFS_MAGIC = 0x01021994;
const EXT4_MAGIC = 0xef53;
const XFS_MAGIC = 0x58465342;

/** Why strace cannot be used here, or undefined. */
function straceMissing(): string | undefined {
  const probe = spawnSync('strace', ['-f', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `strace is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `strace cannot trace here: ${probe.stderr.trim()}`;
  return undefined;
}

const missing = straceMissing();

/** Syscalls naming `root` while a child applies `count` files `how`. */
function countSyscalls(base: string, count: number, how: 'native' | 'applier'): { total: number; byName: Record<string, number> } {
  const root = mkdtempSync(join(base, `hs-sys-${how}-`));
  const out = `${root}.strace`;
  try {
    const command = nodeEntryCommand(new URL('./support/apply-small-files.js', import.meta.url).href, 'applySmallFiles', { root, count, how });
    const run = spawnSync('strace', ['-f', '-y', '-s', '4096', '-o', out, ...command], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(run.status, 0, `the child failed: ${run.stderr}`);
    assert.equal(readdirSync(root).filter((n) => n.startsWith('f')).length, count, 'every file applied');
    const byName: Record<string, number> = {};
    let total = 0;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      // Asking the process's ids is a syscall each time: counted whatever its arguments.
      const id = /^\d+\s+(get[e]?[ug]id)\(/.exec(line)?.[1];
      if (id !== undefined) byName[id] = (byName[id] ?? 0) + 1;
      // A call split by another thread's: its first half carries the arguments.
      if (!line.includes(root) || line.includes(' resumed>') || / execve\(/.test(line)) continue;
      const name = /^\d+\s+([a-z0-9_]+)\(/.exec(line)?.[1] ?? '?';
      byName[name] = (byName[name] ?? 0) + 1;
      total++;
    }
    return { total, byName };
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { force: true });
  }
}

function fsType(path: string): number {
  return Number(statfsSync(path).type);
}

/** Whether the ext4 holding `path` has a journal (the kernel's journal thread, "<none>" without). */
function ext4Journaled(path: string): boolean {
  const source = spawnSync('findmnt', ['-n', '-o', 'SOURCE', '-T', path], { encoding: 'utf8' }).stdout.trim();
  const device = realpathSync(source).split('/').pop() ?? '';
  try {
    return readFileSync(`/sys/fs/ext4/${device}/journal_task`, 'utf8').trim() !== '<none>';
  } catch {
    return false;
  }
}

/**
 * A base directory on ext4 or xfs whose journal orders data: the temp directory, or (as root) a
 * journaled ext4 of its own when the temp directory's ext4 has no journal; undefined when neither.
 */
function journaledBase(t: { after(fn: () => void): void }): string | undefined {
  const base = mkdtempSync(join(tmpdir(), 'hs-sys-'));
  const type = fsType(base);
  const usable = type === XFS_MAGIC || (type === EXT4_MAGIC && ext4Journaled(base));
  if (usable || process.getuid?.() !== 0) {
    t.after(() => rmSync(base, { recursive: true, force: true }));
    return usable ? base : undefined;
  }
  const own = makeOwnFs(base, 1024);
  // One hook: unmount first, then the directory holding the image.
  t.after(() => {
    own.dispose();
    rmSync(base, { recursive: true, force: true });
  });
  return own.path;
}

test('the replica makes at most 8 syscalls per small file on ext4/xfs (one group commit), fstatfs once per directory', { skip: missing }, (t) => {
  const base = journaledBase(t);
  if (base === undefined) return t.skip(`${tmpdir()} is not a journaled ext4 or xfs`);
  const n = 200;
  const { total, byName } = countSyscalls(base, n, 'native');
  const detail = JSON.stringify(byName);
  assert.ok(total <= 8 * n + 2, `${total} syscalls for ${n} files (${(total / n).toFixed(2)} a file), at most 8 a file: ${detail}`);
  assert.equal(byName.fstatfs ?? 0, 1, `one fstatfs for the one directory: ${detail}`);
  assert.equal(byName.fchown ?? 0, 0, `no fchown: the create gave the owner: ${detail}`);
  assert.equal(byName.fchmod ?? 0, 0, `no fchmod: the create gave the mode: ${detail}`);
  assert.equal(byName.sync_file_range, 2 * n, `both sync_file_range calls on a batch (${detail})`);
  // Node asks them a few times at startup; not once a file.
  assert.ok((byName.geteuid ?? 0) + (byName.getegid ?? 0) < 40, `the ids are not asked per file: ${detail}`);
});

test('the replica makes at most 6 syscalls per small file on tmpfs: no sync at all', { skip: missing }, (t) => {
  const shm = '/dev/shm';
  let base: string;
  try {
    if (fsType(shm) !== TMPFS_MAGIC) return t.skip('/dev/shm is not a tmpfs');
    base = mkdtempSync(join(shm, 'hs-sys-'));
  } catch (err) {
    return t.skip(`no tmpfs at /dev/shm: ${(err as Error).message}`);
  }
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const n = 200;
  const { total, byName } = countSyscalls(base, n, 'native');
  const detail = JSON.stringify(byName);
  assert.ok(total <= 6 * n + 2, `${total} syscalls for ${n} files (${(total / n).toFixed(2)} a file), at most 6 a file: ${detail}`);
  assert.equal(byName.sync_file_range ?? 0, 0, `no sync_file_range on tmpfs: ${detail}`);
  assert.equal(byName.fsync ?? 0, 0, `no fsync on tmpfs: ${detail}`);
});

test('through ReplicaApplier (batches, directory fsyncs): at most 9 syscalls per small file on ext4/xfs', { skip: missing }, (t) => {
  const base = journaledBase(t);
  if (base === undefined) return t.skip(`${tmpdir()} is not a journaled ext4 or xfs`);
  mkdirSync(join(base, 'unused'), { recursive: true });
  const n = 300;
  const { total, byName } = countSyscalls(base, n, 'applier');
  assert.ok(total <= 9 * n, `${total} syscalls for ${n} files (${(total / n).toFixed(2)} a file), at most 9 a file: ${JSON.stringify(byName)}`);
});

test('on ext4 without a journal each file is fsynced before its rename (nothing else would write its inode)', { skip: missing || (process.getuid?.() !== 0 && 'needs root (mount)') }, (t) => {
  const base = mkdtempSync(join(tmpdir(), 'hs-sys-'));
  const own = makeOwnFs(base, 1024, false);
  t.after(() => {
    own.dispose();
    rmSync(base, { recursive: true, force: true });
  });
  assert.equal(ext4Journaled(own.path), false, 'the test filesystem has no journal');
  const n = 100;
  const { byName } = countSyscalls(own.path, n, 'native');
  const detail = JSON.stringify(byName);
  assert.equal(byName.fsync ?? 0, n, `one fsync a file: ${detail}`);
  assert.equal(byName.rename ?? 0, n, `every file renamed after it: ${detail}`);
});
