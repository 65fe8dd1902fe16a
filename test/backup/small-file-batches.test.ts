/**
 * A backup's small files read and hashed a batch per thread-pool job (src/backup/small-file-batches.ts,
 * native/hash-files.cc with a buffer to write into): the same snapshot, tree for tree, as reading
 * them one by one; the batch path really used; files that changed between the scan and the read
 * stored as they are then (grown past the limit, swapped for a symlink); and the job's answer
 * checked before it is believed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Archiver, backup } from '../../src/backup/archiver.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { backupNative } from '../../src/backup/native.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { decodeTree } from '../../src/backup/repo/tree.js';
import { BATCH_BUFFER_BYTES, BATCH_FILE_MAX, packNames, parseBatch, planBatches, type HashFilesInto } from '../../src/backup/small-file-batches.js';
import { makeSource, pseudoRandom, subtreeOf } from './restic-fixture.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-small-batches-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const native = backupNative();
const noAddon = native?.hashFiles === undefined ? 'the native addon is not built' : false;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('planBatches: at most so many files and bytes a batch, in order, every file once', () => {
  assert.deepEqual(planBatches([10, 10, 10, 10, 10], 2, 100), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(planBatches([60, 30, 20, 90, 5], 10, 100), [[0, 1], [2], [3, 4]]);
  assert.deepEqual(planBatches([200, 1], 10, 100), [[0], [1]], 'a file over the bytes is a batch alone');
  assert.deepEqual(planBatches([]), []);
});

test('parseBatch refuses an answer that does not hold what its records say', () => {
  const record = Buffer.alloc(76);
  record.writeBigUInt64BE(5n, 4);
  assert.throws(() => parseBatch(record, 1), /lacks the data of record 0/);
  assert.throws(() => parseBatch(Buffer.concat([record, Buffer.from('hello!')]), 1), /1 bytes more/);
  assert.throws(() => parseBatch(record.subarray(0, 40), 1), /ends inside record 0/);
  const ok = parseBatch(Buffer.concat([record, Buffer.from('hello')]), 1)[0]!;
  assert.equal(ok.ok && ok.data.toString(), 'hello');
});

test('hashFiles(dir, names, limit, into): records then the bytes, ids exact, no room means read alone', { skip: noAddon }, async () => {
  const dir = join(scratch, 'native');
  mkdirSync(dir);
  const files = ['a', 'b', 'empty', 'c'].map((name, i) => ({ name, data: name === 'empty' ? Buffer.alloc(0) : pseudoRandom(1000 * (i + 1), name) }));
  for (const f of files) writeFileSync(join(dir, f.name), f.data);
  symlinkSync(join(dir, 'a'), join(dir, 'link'));
  const hashFiles = native!.hashFiles!.bind(native) as HashFilesInto;
  const names = packNames([...files.map((f) => Buffer.from(f.name)), Buffer.from('link'), Buffer.from('gone')]);
  const into = Buffer.alloc(BATCH_BUFFER_BYTES, 0xee);
  const got = parseBatch(into.subarray(0, await hashFiles(dir, names, BATCH_FILE_MAX, into)), 6);
  files.forEach((f, i) => {
    const r = got[i]!;
    assert.ok(r.ok, f.name);
    assert.deepEqual(r.data, f.data, f.name);
    assert.equal(r.id, sha256(f.data), f.name);
  });
  assert.deepEqual([got[4]!.ok, got[5]!.ok], [false, false], 'a symlink and a missing file are left to the caller');
  // Room for the records and the first file only: the rest are left to the caller, nothing written past the buffer.
  const small = Buffer.alloc(6 * 76 + 1000, 0xee);
  const partial = parseBatch(small.subarray(0, await hashFiles(dir, names, BATCH_FILE_MAX, small)), 6);
  assert.deepEqual(partial.map((r) => r.ok), [true, false, true, false, false, false]);
  await assert.rejects(async () => hashFiles(dir, names, BATCH_FILE_MAX, Buffer.alloc(100)), /cannot hold the records/);
});

test('a backup with batches makes the same trees as one file at a time, and uses them', { skip: noAddon }, async () => {
  const src = join(scratch, 'tree');
  makeSource(src, 'batches');
  const many = join(src, 'many');
  mkdirSync(many);
  for (let i = 0; i < 300; i++) writeFileSync(join(many, `f${i}.txt`), `file ${i}\n`.repeat(i % 50));
  writeFileSync(join(many, 'just-over'), pseudoRandom(BATCH_FILE_MAX + 1, 'over'));
  writeFileSync(join(many, Buffer.from([0x62, 0xff, 0x0a]).toString('latin1')), 'odd name\n');
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const batched = new Archiver(repo);
  const field = batched as unknown as { hashFilesInto?: HashFilesInto };
  const real = field.hashFilesInto!;
  let calls = 0;
  field.hashFilesInto = (...args) => {
    calls++;
    return real(...args);
  };
  const withBatches = await batched.saveDir(src, undefined);
  await repo.flush();
  assert.ok(calls >= 5 && calls < 50, `the small files went in batches (${calls} jobs for some 320 files)`);
  const single = new Archiver(repo);
  Object.assign(single, { hashFilesInto: undefined });
  assert.equal(await single.saveDir(src, undefined), withBatches, 'the same tree id');
  assert.equal(single.stats.files, batched.stats.files);
  assert.equal(single.stats.bytesRead, batched.stats.bytesRead);
  // And through backup(), as the CLI runs it: the snapshot's subtree is the same.
  const result = await backup(repo, { paths: [src], parent: 'none' });
  assert.equal(await subtreeOf(repo, result.snapshot.tree, src), withBatches);
});

test('small files changed between the scan and the batch are stored as they are then', { skip: noAddon }, async () => {
  const dir = join(scratch, 'changing');
  mkdirSync(dir);
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}`), `small ${i}\n`);
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const warnings: string[] = [];
  const archiver = new Archiver(repo, false, [], undefined, undefined, (m) => warnings.push(m));
  const prepared = (archiver as unknown as { prepareDir(p: string, t: undefined): Promise<unknown> }).prepareDir(dir, undefined);
  await prepared;
  // After the scan: one grows past the batch limit, one becomes a symlink to a file outside, one goes.
  const grown = pseudoRandom(200 * 1024, 'grown');
  writeFileSync(join(dir, 'f3'), grown);
  writeFileSync(join(scratch, 'outside'), 'not to be stored\n');
  unlinkSync(join(dir, 'f5'));
  symlinkSync(join(scratch, 'outside'), join(dir, 'f5'));
  unlinkSync(join(dir, 'f7'));
  const tree = decodeTree(await repo.loadBlob('tree', await archiver.saveDir(dir, undefined, prepared as never).then(async (id) => (await repo.flush(), id))));
  const byName = new Map(tree.map((n) => [n.name, n]));
  const f3 = byName.get('f3')!;
  assert.equal(f3.size, grown.length, 'the grown file stored at its new size');
  assert.deepEqual(Buffer.concat(await Promise.all((f3.content ?? []).map((id) => repo.loadBlob('data', id)))), grown);
  assert.equal(byName.has('f5'), false, 'a file swapped for a symlink is not stored through it');
  assert.equal(archiver.errors.some((e) => e.path === join(dir, 'f5') && /ELOOP/.test(e.message)), true);
  assert.equal(byName.has('f7'), false);
  assert.deepEqual(warnings, [`${join(dir, 'f7')}: removed while the backup walked, left out`]);
  assert.equal(byName.get('f0')!.size, 'small 0\n'.length);
});
