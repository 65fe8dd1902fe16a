/**
 * Packs are assembled in unnamed temporary files, not in memory (issue 13: memory stays bounded;
 * restic does the same): the file leaves nothing in the temporary directory, its id is the SHA-256
 * of its bytes, and the repository hands a backend that can take them the pack in pieces only.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import type { Handle, Source } from '../../src/backup/repo/backend.js';
import { PackFile } from '../../src/backup/repo/pack-file.js';
import { Repository } from '../../src/backup/repo/repository.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-packfile-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a pack file keeps what is appended (small blobs staged, large written through), leaves no name behind, and its id is its SHA-256', async () => {
  const dir = mkdtempSync(join(scratch, 'tmp-'));
  const f = PackFile.create(dir);
  assert.deepEqual(readdirSync(dir), [], 'unlinked as soon as it is made');
  const parts = [randomBytes(10), randomBytes(200_000), randomBytes(300_000), randomBytes(1), randomBytes(3 * 1024 * 1024), randomBytes(70_000)];
  for (const p of parts) f.append(p);
  const all = Buffer.concat(parts);
  assert.equal(f.size, all.length);
  const { id, size } = await f.finish();
  assert.equal(size, all.length);
  assert.equal(id, createHash('sha256').update(all).digest('hex'));
  assert.ok((await f.readAll()).equals(all));
  const pieces: Buffer[] = [];
  for await (const p of f.source().pieces()) {
    assert.ok(p.length <= 1024 * 1024, 'read back a piece at a time');
    pieces.push(Buffer.from(p));
  }
  assert.ok(Buffer.concat(pieces).equals(all));
  f.close();
  f.close();
  assert.deepEqual(readdirSync(dir), []);
});

test('appending does not write on the caller\'s thread: the bytes are queued, room() waits for the queue to go down, finish() for every write', async () => {
  const dir = mkdtempSync(join(scratch, 'tmp-'));
  const f = PackFile.create(dir);
  const parts = Array.from({ length: 6 }, () => randomBytes(3 * 1024 * 1024));
  for (const p of parts) f.append(p);
  assert.equal(f.queued, 18 * 1024 * 1024, 'nothing written before the caller yields');
  await f.room();
  assert.ok(f.queued <= 4 * 1024 * 1024, `room() resolved with ${f.queued} bytes queued`);
  const { id } = await f.finish();
  assert.equal(f.queued, 0);
  const all = Buffer.concat(parts);
  assert.equal(id, createHash('sha256').update(all).digest('hex'));
  assert.ok((await f.readAll()).equals(all));
  f.close();
});

test('a temporary directory that cannot be written: the save fails naming it and TMPDIR', async () => {
  const be = new MemoryBackend();
  const repo = await Repository.init(be, 'pw', { ...FAST, tempDir: join(scratch, 'missing', 'dir') });
  await assert.rejects(async () => {
    await repo.saveBlob('data', randomBytes(1000));
    await repo.flush();
  }, /Cannot create a temporary pack file in .*missing\/dir \(set TMPDIR/);
  assert.deepEqual(await be.list('data'), []);
  assert.deepEqual(await be.list('index'), []);
  await repo.close();
});

/** A backend that takes packs in pieces and records how it got them. */
class PiecewiseBackend extends MemoryBackend {
  wholeDataSaves = 0;
  largestPiece = 0;
  override async save(h: Handle, data: Uint8Array): Promise<void> {
    if (h.type === 'data') this.wholeDataSaves++;
    return super.save(h, data);
  }
  async saveFrom(h: Handle, source: Source): Promise<void> {
    const pieces: Buffer[] = [];
    for await (const p of source.pieces()) {
      this.largestPiece = Math.max(this.largestPiece, p.length);
      pieces.push(Buffer.from(p));
    }
    return super.save(h, Buffer.concat(pieces));
  }
}

test('packs reach a backend that can take pieces a piece at a time, never whole; they read back and reopen through the index', async () => {
  const dir = mkdtempSync(join(scratch, 'tmp-'));
  const be = new PiecewiseBackend();
  const packSize = 4 * 1024 * 1024;
  const repo = await Repository.init(be, 'pw', { ...FAST, packSize, tempDir: dir });
  const blobs = Array.from({ length: 12 }, () => randomBytes(1024 * 1024));
  const ids = [];
  for (const b of blobs) ids.push((await repo.saveBlob('data', b)).id);
  await repo.flush();
  await repo.close();
  assert.equal(be.wholeDataSaves, 0, 'no pack was handed over whole');
  assert.ok(be.largestPiece > 0 && be.largestPiece <= 1024 * 1024, `largest piece ${be.largestPiece} bytes`);
  assert.ok((await be.list('data')).length >= 3, 'several packs');
  assert.deepEqual(readdirSync(dir), [], 'no temporary file left');
  const again = await Repository.open(be, 'pw');
  await again.loadIndex();
  for (const [i, id] of ids.entries()) assert.ok(Buffer.from(await again.loadBlob('data', id)).equals(blobs[i]!));
  for (const f of await be.list('data')) assert.equal((await again.readPackHeader(f.name)).length > 0, true);
});

/** Names under `root`/data of packs being assembled (`…-tmp-…`). */
const tempNames = (root: string) =>
  readdirSync(join(root, 'data'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.includes('-tmp-'))
    .map((e) => e.name);

test('a local repository assembles packs in place: under a temporary name in data/ until named, nothing in the temporary directory; a dropped pack leaves no name', async () => {
  const dir = mkdtempSync(join(scratch, 'tmp-'));
  const root = join(scratch, 'local-repo');
  const be = new LocalBackend(root);
  const repo = await Repository.init(be, 'pw', { ...FAST, packSize: 4 * 1024 * 1024, tempDir: dir });
  const blobs = Array.from({ length: 10 }, () => randomBytes(1024 * 1024));
  const ids = [];
  for (const b of blobs) ids.push((await repo.saveBlob('data', b)).id);
  const tempsBefore = new Set((await be.listTemporary()).map((f) => f.name));
  // The open pack, and maybe a full one still being named (packs are written in the background).
  const open = tempNames(root).sort();
  assert.ok(open.length >= 1 && open.length <= 3, `the open pack under a temporary name: ${open.join(', ')}`);
  for (const name of open) assert.match(name, /^[0-9a-f]{2}-tmp-[0-9a-f]+$/);
  assert.ok(open.every((n) => tempsBefore.has(n)), 'listTemporary() (prune) knows them');
  assert.deepEqual(readdirSync(dir), [], 'nothing in the temporary directory');
  await repo.flush();
  assert.deepEqual(tempNames(root), [], 'named once written');
  assert.ok((await be.list('data')).length >= 3, 'several packs');
  // A pack that is never written (a backup that failed) leaves no name behind.
  await repo.saveBlob('data', randomBytes(100_000));
  assert.equal(tempNames(root).length, 1);
  await repo.close();
  assert.deepEqual(tempNames(root), [], 'the dropped pack removed');
  const again = await Repository.open(be, 'pw');
  await again.loadIndex();
  for (const [i, id] of ids.entries()) assert.ok(Buffer.from(await again.loadBlob('data', id)).equals(blobs[i]!));
  for (const f of await be.list('data')) assert.equal((await again.readPackHeader(f.name)).length > 0, true);
  await again.close();
  await be.close();
});

test('a full temporary directory for a backend that cannot assemble packs in place: the save fails naming the directory and the cause', { skip: process.getuid?.() !== 0 && 'mounting a tmpfs needs root' }, async (t) => {
  const tmp = join(scratch, 'full-tmp');
  mkdirSync(tmp);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', tmp]);
  t.after(() => execFileSync('umount', [tmp]));
  const be = new MemoryBackend();
  const repo = await Repository.init(be, 'pw', { ...FAST, tempDir: tmp });
  await assert.rejects(async () => {
    for (let i = 0; i < 6; i++) await repo.saveBlob('data', randomBytes(1024 * 1024));
    await repo.flush();
  }, new RegExp(`Writing a pack to a temporary file in ${tmp} failed: ENOSPC: no space left on device`));
  await repo.close();
  assert.deepEqual(readdirSync(tmp), [], 'no temporary file left');
  assert.deepEqual(await be.list('data'), []);
  assert.deepEqual(await be.list('index'), []);
});

test('dropOpenPacks() (a failed backup) removes the open packs\' temporary names from a local repository, and their blobs count as not stored', async () => {
  const root = join(scratch, 'local-drop');
  const be = new LocalBackend(root);
  const repo = await Repository.init(be, 'pw', FAST);
  const { id } = await repo.saveBlob('data', randomBytes(200_000));
  assert.equal(tempNames(root).length, 1, 'the open pack, under a temporary name');
  assert.ok(repo.has('data', id));
  await repo.dropOpenPacks();
  assert.deepEqual(tempNames(root), [], 'removed');
  assert.equal(repo.has('data', id), false, 'the blob is not in any pack');
  assert.deepEqual(await be.list('data'), []);
  await repo.close();
  await be.close();
});
