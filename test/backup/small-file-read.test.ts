/**
 * The addon's readSmallFile() with a buffer to read into (native/small-files.cc), as a backup
 * reads its small files: several at once in the thread pool, each into one of a few reused
 * buffers, the bytes exact, and a file grown past the limit not read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { backupNative } from '../../src/backup/native.js';

const scratch = mkdtempSync(join(tmpdir(), 'hs-small-read-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const native = backupNative();
const skip = !native?.readSmallFile && 'the native addon is not built';

test('readSmallFile(path, limit, into) reads a file into the given buffer and says how long it is', { skip }, async () => {
  const path = join(scratch, 'a');
  const text = Buffer.from('const x = 1;\n'.repeat(200));
  writeFileSync(path, text);
  const into = Buffer.alloc(64 * 1024, 0xee);
  const r = await native!.readSmallFile!(path, into.length - 1, into);
  assert.equal(r.type, 'file');
  assert.equal(r.data, undefined, 'no buffer of its own');
  assert.equal(r.length, text.length);
  assert.deepEqual(into.subarray(0, r.length), text);
  assert.equal(into[text.length], 0xee, 'nothing written past the file');
});

test('readSmallFile(path, limit, into): an empty file has length 0; a file over the limit and a directory are not read', { skip }, async () => {
  const empty = join(scratch, 'empty');
  writeFileSync(empty, '');
  const into = Buffer.alloc(1024);
  assert.equal((await native!.readSmallFile!(empty, 1023, into)).length, 0);
  const big = join(scratch, 'big');
  writeFileSync(big, Buffer.alloc(2000, 1));
  const r = await native!.readSmallFile!(big, 1023, into);
  assert.equal(r.type, 'file');
  assert.equal(r.length, undefined);
  assert.equal(r.data, undefined);
  const d = await native!.readSmallFile!(scratch, 1023, into);
  assert.equal(d.type, 'dir');
  assert.equal(d.length, undefined);
});

test('readSmallFile(path, limit, into) reads many files at once, each into its own buffer, bytes exact', { skip }, async () => {
  const files = Array.from({ length: 64 }, (_, i) => {
    const p = join(scratch, `f${i}`);
    const data = Buffer.from(`file ${i} `.repeat(10 + i * 7));
    writeFileSync(p, data);
    return { p, data };
  });
  const reads = files.map(({ p }) => {
    const into = Buffer.alloc(8192);
    return native!.readSmallFile!(p, into.length - 1, into).then((r) => into.subarray(0, r.length));
  });
  const got = await Promise.all(reads);
  got.forEach((b, i) => assert.deepEqual(b, files[i]!.data, `file ${i}`));
});

test('readSmallFile(path, limit, into) rejects a buffer not longer than the limit, and a symlink with ELOOP', { skip }, async () => {
  const path = join(scratch, 'a2');
  writeFileSync(path, 'x');
  assert.throws(() => native!.readSmallFile!(path, 1024, Buffer.alloc(1024)), RangeError);
  assert.throws(() => native!.readSmallFile!(path, 10, 'not a buffer' as unknown as Buffer), TypeError);
  const link = join(scratch, 'link');
  symlinkSync(path, link);
  await assert.rejects(native!.readSmallFile!(link, 1023, Buffer.alloc(1024)), /ELOOP/);
});
