/**
 * A local repository drops each pack's pages from the page cache once the pack is synced
 * (native/file-cache.cc says why), and dropFileCache() itself: content unchanged, clear errors.
 * Residency is read with fincore(1) (util-linux); without it those checks are skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { backupNative } from '../../src/backup/native.js';
import { Repository } from '../../src/backup/repo/repository.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-file-cache-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function hasFincore(): boolean {
  try {
    execFileSync('fincore', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const native = backupNative();
const noFincore = !hasFincore() && 'fincore (util-linux) is not installed';
const noNative = !native?.dropFileCache && 'the native addon is not built';

/** Bytes of the file in the page cache. */
const resident = (path: string) => Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' }).trim());

test('dropFileCache() frees the synced pages of a file, its content unchanged', { skip: noNative || noFincore }, () => {
  const path = join(scratch, 'f');
  const data = randomBytes(4 * 1024 * 1024);
  const fd = openSync(path, 'w+');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
    assert.ok(resident(path) > 0, 'written pages are in the page cache');
    // A range is advice on whole folios (large ones on ext4 here): only its bound is checked.
    native!.dropFileCache!(fd, 3 * 1024 * 1024, 1024 * 1024);
    assert.ok(resident(path) <= data.length);
    native!.dropFileCache!(fd);
    assert.equal(resident(path), 0, 'length 0: to the end');
  } finally {
    closeSync(fd);
  }
  assert.ok(readFileSync(path).equals(data));
});

test('dropFileCache() rejects a closed descriptor with EBADF, and arguments that are not descriptors or offsets', { skip: noNative }, () => {
  const fd = openSync(join(scratch, 'g'), 'w');
  closeSync(fd);
  assert.throws(() => native!.dropFileCache!(fd), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && /posix_fadvise/.test(err.message));
  assert.throws(() => native!.dropFileCache!(-1), RangeError);
  assert.throws(() => native!.dropFileCache!(2 ** 40), RangeError);
  assert.throws(() => native!.dropFileCache!('3' as unknown as number), TypeError);
});

test('a local repository leaves no page of a written pack in the page cache', { skip: noNative || noFincore }, async () => {
  const root = join(scratch, 'repo');
  const be = new LocalBackend(root);
  const repo = await Repository.init(be, 'pw', { ...FAST, packSize: 4 * 1024 * 1024 });
  for (let i = 0; i < 9; i++) await repo.saveBlob('data', randomBytes(1024 * 1024));
  await repo.flush();
  await repo.close();
  const packs = await be.list('data');
  assert.ok(packs.length >= 3, 'several packs');
  for (const p of packs) assert.equal(resident(be.localPath({ type: 'data', name: p.name })), 0, `pack ${p.name} (${p.size} bytes) is not in the page cache`);
  await be.close();
});
