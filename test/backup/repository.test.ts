/** The repository over the in-memory backend: keys, blobs and packs, index, archiver and restorer. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { backup } from '../../src/backup/archiver.js';
import { NoRepositoryError, Repository, WrongPasswordError } from '../../src/backup/repo/repository.js';
import { restore } from '../../src/backup/restorer.js';
import { loadSnapshots, findSnapshot } from '../../src/backup/snapshots.js';
import { acquireLock, LockedError } from '../../src/backup/lock.js';
import { decodeTree } from '../../src/backup/repo/tree.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-repo-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('Repository.open() with the wrong password rejects with WrongPasswordError and writes nothing', async () => {
  const be = new MemoryBackend();
  await Repository.init(be, 'right', FAST);
  const files = async () => JSON.stringify(await Promise.all((['keys', 'snapshots', 'index', 'locks', 'data'] as const).map((t) => be.list(t))));
  const before = await files();
  await assert.rejects(Repository.open(be, 'wrong'), WrongPasswordError);
  assert.equal(await files(), before);
  await assert.rejects(Repository.open(new MemoryBackend(), 'x'), NoRepositoryError);
  const again = await Repository.open(be, 'right');
  assert.equal(again.config.version, 2);
});

test('saveBlob() stores each blob once; after flush() a reopened repository finds them through the index', async () => {
  const be = new MemoryBackend();
  const repo = await Repository.init(be, 'pw', { ...FAST, packSize: 4096 });
  const blobs = [randomBytes(3000), Buffer.alloc(3000, 'a'), randomBytes(10), Buffer.alloc(0)];
  const ids = [];
  for (const b of blobs) ids.push((await repo.saveBlob('data', b)).id);
  assert.equal((await repo.saveBlob('data', blobs[1]!)).saved, false);
  const tree = await repo.saveBlob('tree', Buffer.from('{"nodes":[]}\n'));
  await repo.flush();
  assert.ok((await be.list('data')).length >= 2, 'data and tree blobs go to separate packs');
  const reopened = await Repository.open(be, 'pw');
  await reopened.loadIndex();
  for (const [i, id] of ids.entries()) assert.deepEqual(Buffer.from(await reopened.loadBlob('data', id)), blobs[i]);
  assert.equal(Buffer.from(await reopened.loadBlob('tree', tree.id)).toString(), '{"nodes":[]}\n');
  assert.ok(reopened.lookup('data', ids[1]!)!.uncompressedLength === 3000, 'a compressible blob is stored compressed');
  assert.equal(reopened.lookup('data', ids[0]!)!.uncompressedLength, undefined, 'random data is stored as it is');
  for (const pack of await be.list('data')) {
    const header = await reopened.readPackHeader(pack.name);
    for (const b of header) assert.equal(reopened.lookup(b.type, b.id)!.pack, pack.name);
  }
});

test('backup() then restore() through the in-memory backend gives the tree back; a second run reuses unchanged files', async () => {
  const src = join(scratch, 'src');
  mkdirSync(join(src, 'd'), { recursive: true });
  writeFileSync(join(src, 'big'), randomBytes(1_200_000));
  writeFileSync(join(src, 'd', 'small'), 'small\n');
  writeFileSync(join(src, 'empty'), '');
  symlinkSync('d/small', join(src, 'link'));
  const be = new MemoryBackend();
  const repo = await Repository.init(be, 'pw', FAST);
  const first = await backup(repo, { paths: [src], parent: 'none' });
  assert.equal(first.stats.files, 3);
  const second = await backup(repo, { paths: [src] });
  assert.equal(second.snapshot.parent, first.id);
  assert.equal(second.stats.unchangedFiles, 3);
  assert.equal(second.stats.bytesRead, 0);
  assert.deepEqual((await loadSnapshots(repo)).map((s) => s.id), [first.id, second.id]);
  const target = join(scratch, 'target');
  await restore(repo, (await findSnapshot(repo, 'latest')).snapshot.tree, { target });
  assert.deepEqual(readFileSync(join(target, src, 'big')), readFileSync(join(src, 'big')));
  assert.equal(readFileSync(join(target, src, 'd', 'small'), 'utf8'), 'small\n');
  assert.equal(readFileSync(join(target, src, 'empty'), 'utf8'), '');
  assert.equal(readlinkSync(join(target, src, 'link')), 'd/small');
  await assert.rejects(findSnapshot(repo, 'ffff'), RangeError);
});

test('backup(): a re-run keeps the parent\'s tree for each unchanged directory, and its trees are the ones a run without parent writes', async () => {
  const src = join(scratch, 'dirs');
  for (const d of ['a/b', 'a/c', 'd']) mkdirSync(join(src, d), { recursive: true });
  for (const f of ['a/b/x', 'a/c/y', 'd/z', 'top']) writeFileSync(join(src, f), `${f}\n`);
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const first = await backup(repo, { paths: [src], parent: 'none' });
  assert.equal(first.stats.unchangedDirs, 0);
  // The trees of src itself: the snapshot's root holds /tmp's metadata, which others change.
  const srcTree = async (root: string) => {
    let id = root;
    for (const part of src.split('/').filter(Boolean)) id = decodeTree(await repo.loadBlob('tree', id)).find((n) => n.name === part)!.subtree!;
    return id;
  };
  const unchanged = await backup(repo, { paths: [src] });
  assert.equal(await srcTree(unchanged.snapshot.tree), await srcTree(first.snapshot.tree));
  assert.equal(unchanged.stats.unchangedDirs, 5, 'src, a, a/b, a/c and d');
  writeFileSync(join(src, 'a/b/x'), 'changed\n');
  const changed = await backup(repo, { paths: [src] });
  // a/b changed, so a and src too (their entries' mtime or subtree id); a/c and d did not.
  assert.equal(changed.stats.unchangedDirs, 2, 'a/c and d');
  const fresh = await backup(repo, { paths: [src], parent: 'none' });
  assert.equal(fresh.stats.unchangedDirs, 0);
  assert.equal(await srcTree(changed.snapshot.tree), await srcTree(fresh.snapshot.tree), 'the reused trees are the ones encoding gives');
  assert.notEqual(await srcTree(changed.snapshot.tree), await srcTree(first.snapshot.tree));
  const target = join(scratch, 'dirs-target');
  await restore(repo, changed.snapshot.tree, { target });
  assert.equal(readFileSync(join(target, src, 'a/b/x'), 'utf8'), 'changed\n');
  assert.equal(readFileSync(join(target, src, 'a/c/y'), 'utf8'), 'a/c/y\n');
});

test('acquireLock(): an exclusive lock conflicts with any other lock; released locks are gone', async () => {
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const releaseShared = await acquireLock(repo, false);
  const releaseShared2 = await acquireLock(repo, false);
  await assert.rejects(acquireLock(repo, true), LockedError);
  await releaseShared();
  await releaseShared2();
  const releaseExclusive = await acquireLock(repo, true);
  await assert.rejects(acquireLock(repo, false), LockedError);
  await releaseExclusive();
  assert.deepEqual(await repo.list('locks'), []);
});

test('a pack write that fails fails the flush: nothing is indexed as saved', async () => {
  const be = new MemoryBackend();
  const repo = await Repository.init(be, 'pw', { ...FAST, packSize: 1024 });
  const realSave = be.save.bind(be);
  be.save = async (h, data) => {
    if (h.type === 'data') throw new Error('disk full');
    return realSave(h, data);
  };
  await assert.rejects(async () => {
    for (let i = 0; i < 10; i++) await repo.saveBlob('data', randomBytes(2000));
    await repo.flush();
  }, /disk full/);
  assert.deepEqual(await be.list('index'), []);
});

test('queueBlob() of a blob in parts stores the same blob as the parts joined (through the sealing workers and inline)', async () => {
  for (const sealWorkers of [1, 0]) {
    const be = new MemoryBackend();
    const repo = await Repository.init(be, 'pw', { ...FAST, sealWorkers });
    try {
      const parts = [randomBytes(40_000), Buffer.alloc(70_000, 'b'), randomBytes(5)];
      const whole = Buffer.concat(parts);
      const r = await repo.queueBlob('data', parts);
      assert.equal(r.saved, true);
      await r.done;
      assert.equal((await repo.queueBlob('data', whole)).saved, false, 'the same id as the joined blob');
      await repo.flush();
      assert.ok(Buffer.from(await repo.loadBlob('data', r.id)).equals(whole), `sealWorkers ${sealWorkers}`);
    } finally {
      await repo.close();
    }
  }
});
