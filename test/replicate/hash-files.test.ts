/**
 * The addon's batch hashing of a directory's small files (native/hash-files.cc), which the tree
 * digests use for every file the content cache cannot vouch for: the right hash with the stat
 * it belongs to, and a clear status (never a crash, never a hang) for what it must not hash.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';

const native = loadNative();

function names(...list: (string | Buffer)[]): Buffer {
  return Buffer.concat(
    list.flatMap((n) => {
      const bytes = typeof n === 'string' ? Buffer.from(n) : n;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
}

function dir(t: { after: (fn: () => void) => void }): string {
  const base = mkdtempSync(join(tmpdir(), 'hs-hashfiles-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

test('hashFiles() gives each small file its SHA-256 and the stat it was read at', async (t) => {
  const base = dir(t);
  const odd = Buffer.from([0x66, 0xff, 0x0a, 0x80]); // not UTF-8, a newline inside
  writeFileSync(join(base, 'a'), 'version one');
  writeFileSync(Buffer.concat([Buffer.from(`${base}/`), odd]), 'bytes');
  writeFileSync(join(base, 'empty'), '');
  const records = await native.hashFiles!(Buffer.from(base), names('a', odd, 'empty'), 1024);
  assert.equal(records.length, 3 * 76);
  const st = statSync(join(base, 'a'), { bigint: true });
  assert.equal(records.readInt32BE(0), 0);
  assert.equal(records.readBigUInt64BE(4), st.size);
  assert.equal(records.readBigUInt64BE(12), st.ino);
  assert.equal(records.readBigInt64BE(28), st.mtimeNs);
  assert.equal(records.readBigInt64BE(36), st.ctimeNs);
  assert.deepEqual(records.subarray(44, 76), createHash('sha256').update('version one').digest());
  assert.equal(records.readInt32BE(76), 0);
  assert.deepEqual(records.subarray(76 + 44, 152), createHash('sha256').update('bytes').digest());
  assert.deepEqual(records.subarray(152 + 44, 228), createHash('sha256').digest());
});

test('hashFiles() leaves to the caller what it must not hash, and names errors by errno', async (t) => {
  const base = dir(t);
  writeFileSync(join(base, 'big'), Buffer.alloc(2048, 1));
  symlinkSync('big', join(base, 'link'));
  mkdirSync(join(base, 'sub'));
  execFileSync('mkfifo', [join(base, 'fifo')]); // must not block the job
  const records = await native.hashFiles!(Buffer.from(base), names('big', 'link', 'sub', 'fifo', 'gone'), 1024);
  const status = (i: number) => records.readInt32BE(i * 76);
  assert.equal(status(0), -1, 'over the limit');
  assert.equal(status(1), 40, 'a symlink is not followed (ELOOP)');
  assert.equal(status(2), -1, 'a directory');
  assert.equal(status(3), -1, 'a fifo');
  assert.equal(status(4), 2, 'gone since the scan (ENOENT)');
});

test('hashFiles() rejects malformed names with a RangeError and a missing directory with its errno', async (t) => {
  const base = dir(t);
  assert.throws(() => native.hashFiles!(Buffer.from(base), Buffer.from([0, 0, 0, 9, 0x61]), 1024), RangeError);
  assert.throws(() => native.hashFiles!(Buffer.from(base), names('a/b'), 1024), RangeError);
  assert.throws(() => native.hashFiles!(Buffer.from(base), names('..'), 1024), RangeError);
  assert.throws(() => native.hashFiles!(Buffer.from(base), Buffer.from([0, 0]), 1024), RangeError);
  await assert.rejects(native.hashFiles!(Buffer.from(join(base, 'nope')), names('a'), 1024), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
});
