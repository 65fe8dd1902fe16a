/**
 * What replication promises to preserve, each checked on the replica as a user sees it: renames
 * arrive as renames (the replica's inode stays, no content is sent), directory owners and modes,
 * set-id bits, symlink owners and ns mtimes, empty directories, deletions; names with any bytes.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';
import { loopbackPair } from './support/loopback-pair.js';

const ino = (path: string | Buffer) => statSync(path).ino;
const MiB = 1024 * 1024;

test('Renames arrive as renames: files, directories, over an existing name, across directories, byte names; no content sent', async (t) => {
  const outside = mkdtempSync(join(tmpdir(), 'hs-rename-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  const { source, replica, converged, replicator } = await loopbackPair(t, {
    setup: (dir) => {
      mkdirSync(join(dir, 'dir', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'dir', 'sub', 'big'), Buffer.alloc(3 * MiB, 1));
      writeFileSync(join(dir, 'large'), Buffer.alloc(2 * MiB, 2));
      writeFileSync(join(dir, 'victim'), 'to be replaced');
      writeFileSync(Buffer.from(`${dir}/\xff\n`, 'latin1'), 'byte name');
      mkdirSync(join(dir, 'other'));
    },
  });
  await converged('the initial copy');
  const sent = replicator.status().sentBytes;
  const bigIno = ino(join(replica, 'dir', 'sub', 'big'));
  const dirIno = ino(join(replica, 'dir'));
  const largeIno = ino(join(replica, 'large'));
  const byteIno = ino(Buffer.from(`${replica}/\xff\n`, 'latin1'));

  renameSync(join(source, 'dir'), join(source, 'renamed-dir'));
  await converged('a directory renamed');
  renameSync(join(source, 'large'), join(source, 'victim')); // over an existing file
  await converged('a file renamed over another');
  renameSync(join(source, 'victim'), join(source, 'other', 'moved')); // across directories
  await converged('a file moved to another directory');
  renameSync(Buffer.from(`${source}/\xff\n`, 'latin1'), Buffer.from(`${source}/other/\xfe\r`, 'latin1'));
  await converged('a byte-named file renamed');

  assert.equal(ino(join(replica, 'renamed-dir')), dirIno);
  assert.equal(ino(join(replica, 'renamed-dir', 'sub', 'big')), bigIno);
  assert.equal(ino(join(replica, 'other', 'moved')), largeIno);
  assert.equal(ino(Buffer.from(`${replica}/other/\xfe\r`, 'latin1')), byteIno);
  assert.equal(replicator.status().sentBytes, sent, 'renames send no content');

  // Out of the tree is a deletion there; in from outside is new content.
  renameSync(join(source, 'other', 'moved'), join(outside, 'gone'));
  await converged('a file moved out of the tree');
  assert.equal(existsSync(join(replica, 'other', 'moved')), false);
  writeFileSync(join(outside, 'incoming'), 'from outside');
  renameSync(join(outside, 'incoming'), join(source, 'incoming'));
  await converged('a file moved into the tree');
  assert.equal(replicator.status().sentBytes, sent + 'from outside'.length);
});

test('Owners and modes of directories, set-id bits, symlink owners and ns mtimes, empty directories and deletions are preserved', async (t) => {
  const native = loadNative();
  const { source, replica, converged } = await loopbackPair(t);
  await converged('empty trees');
  mkdirSync(join(source, 'shared', 'empty'), { recursive: true });
  chownSync(join(source, 'shared'), 1001, 1002);
  chmodSync(join(source, 'shared'), 0o2775); // setgid directory
  chmodSync(join(source, 'shared', 'empty'), 0o1777); // sticky
  writeFileSync(join(source, 'shared', 'tool'), '#!/bin/sh\n');
  chownSync(join(source, 'shared', 'tool'), 0, 1002);
  chmodSync(join(source, 'shared', 'tool'), 0o6750); // set-uid and set-gid survive the chown order
  symlinkSync('tool', join(source, 'shared', 'link'));
  lchownSync(join(source, 'shared', 'link'), 1003, 1004);
  native.setFileTimes(Buffer.from(join(source, 'shared', 'tool')), 1_600_000_000, 1, 1_600_000_000, 123_456_789, true);
  native.setFileTimes(Buffer.from(join(source, 'shared', 'link')), 1_500_000_000, 2, 1_500_000_000, 987_654_321, true);
  await converged('owners, modes, ns mtimes');
  const tool = statSync(join(replica, 'shared', 'tool'), { bigint: true });
  assert.equal(tool.mode & 0o7777n, 0o6750n);
  assert.equal(tool.mtimeNs, 1_600_000_000_123_456_789n);
  assert.equal(statSync(join(replica, 'shared')).mode & 0o7777, 0o2775);
  assert.equal(statSync(join(replica, 'shared')).uid, 1001);
  assert.equal(statSync(join(replica, 'shared', 'empty')).mode & 0o7777, 0o1777);
  chownSync(join(source, 'shared'), 1005, 1006); // an owner change alone
  await converged('a directory owner changed');
  rmSync(join(source, 'shared'), { recursive: true });
  await converged('the whole directory deleted');
  assert.equal(existsSync(join(replica, 'shared')), false);
});

test('A file rewritten with its old size and nanosecond mtime put back is repaired by the next full comparison', async (t) => {
  const native = loadNative();
  const { source, replica, converged } = await loopbackPair(t, { fullCheckEveryMs: 1000 });
  await converged('empty trees');
  const file = join(source, 'f');
  writeFileSync(file, 'AAAA');
  native.setFileTimes(Buffer.from(file), 1_600_000_000, 0, 1_600_000_000, 42, true);
  await converged('the first version');
  // Same size, same ns mtime, other bytes (what rsync's quick check cannot see either).
  writeFileSync(file, 'BBBB');
  native.setFileTimes(Buffer.from(file), 1_600_000_000, 0, 1_600_000_000, 42, true);
  await converged('the rewritten file, by content');
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(join(replica, 'f'), 'utf8'), 'BBBB');
});
