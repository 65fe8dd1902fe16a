/**
 * The backup walk's per-directory scan (native/scan-dir.cc with details, src/backup/scan-nodes.ts):
 * the trees are the bytes the lstat-per-entry walk makes (so the same tree ids: parent reuse, ours
 * and restic's, depends on it), a file swapped for a symlink after the scan fails with ELOOP instead
 * of storing the target's bytes, and a file removed after the scan is left out with a warning.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Archiver, backup } from '../../src/backup/archiver.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { ChunkPool } from '../../src/backup/chunk-pool.js';
import { backupNative } from '../../src/backup/native.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { decodeTree } from '../../src/backup/repo/tree.js';
import { isRoot, makeSource, pseudoRandom, subtreeOf } from './restic-fixture.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-walk-scan-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const xn = backupNative();
const noAddon = xn?.scanDirectory === undefined ? 'the native addon is not built' : false;

/** Data whose nodes have every optional field: xattrs (binary values), odd names and targets, a fifo, a device. */
function makeHostile(dir: string): void {
  mkdirSync(dir);
  makeSource(join(dir, 'source'), 'walk-scan');
  const odd = join(dir, 'odd');
  mkdirSync(odd);
  writeFileSync(join(odd, 'with-xattrs'), 'x\n');
  xn!.setXattr!(join(odd, 'with-xattrs'), 'user.one', Buffer.from([0, 1, 2, 0xff]));
  xn!.setXattr!(join(odd, 'with-xattrs'), 'user.two', Buffer.alloc(0));
  xn!.setXattr!(odd, 'user.dir', Buffer.from('on a directory'));
  symlinkSync(Buffer.from([0x74, 0xff, 0x0a, 0x2f, 0xc3]), Buffer.from(join(odd, 'link-to-bytes')));
  symlinkSync('x'.repeat(3000), join(odd, 'long-target'));
  execFileSync('mkfifo', [join(odd, 'fifo')]);
  if (isRoot) execFileSync('mknod', [join(odd, 'null-device'), 'c', '1', '3']);
  for (let i = 0; i < 300; i++) writeFileSync(join(odd, `many-${i}`), `${i}\n`);
}

test('the scan in the thread pool makes the trees the lstat-per-entry walk makes, byte for byte', { skip: noAddon }, async () => {
  const src = join(scratch, 'hostile');
  makeHostile(src);
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const scanned = await backup(repo, { paths: [src], parent: 'none', chunkWorkers: 0 });
  // The same archiver without the scan: readdir, then lstat, readlink and llistxattr per entry
  // on the main thread (the walk before the scan, still the one without the addon).
  const perEntry = new Archiver(repo);
  Object.assign(perEntry, { scanDirectory: undefined });
  const tree = await perEntry.saveDir(src, undefined);
  assert.equal(tree, await subtreeOf(repo, scanned.snapshot.tree, src));
  const odd = decodeTree(await repo.loadBlob('tree', await subtreeOf(repo, scanned.snapshot.tree, join(src, 'odd'))));
  const byName = new Map(odd.map((n) => [n.name, n]));
  assert.deepEqual(byName.get('with-xattrs')?.extendedAttributes?.map((x) => [x.name, Buffer.from(x.value).toString('hex')]), [['user.one', '000102ff'], ['user.two', '']]);
  assert.equal(byName.get('long-target')?.linktarget, 'x'.repeat(3000));
  assert.equal(byName.get('link-to-bytes')?.linktarget, Buffer.from([0x74, 0xff, 0x0a, 0x2f, 0xc3]).toString('utf8'));
  assert.equal(byName.get('fifo')?.type, 'fifo');
  if (isRoot) assert.equal(byName.get('null-device')?.device, 259, 'makedev(1, 3)');
  assert.equal(odd.filter((n) => n.name.startsWith('many-')).length, 300);
});

test('a file swapped for a symlink after the scan fails with ELOOP naming it; the target\'s bytes are never stored', async () => {
  const dir = join(scratch, 'swap');
  mkdirSync(dir);
  const secret = join(dir, 'secret');
  writeFileSync(secret, pseudoRandom(2 << 20, 'secret'));
  symlinkSync(secret, join(dir, 'large'));
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const pool = new ChunkPool(repo.config.chunkerPolynomial, { workers: 1 });
  try {
    // The size the scan saw (2 MiB: read by a chunking thread, or streamed without one).
    for (const archiver of [new Archiver(repo, false, [], undefined, pool), new Archiver(repo)]) {
      await assert.rejects(archiver.saveFile(join(dir, 'large'), 2 << 20, true), (err: Error) => /ELOOP/.test(err.message) && err.message.includes(join(dir, 'large')));
      assert.equal(archiver.stats.bytesRead, 0, 'nothing of the target was read');
    }
  } finally {
    await pool.close();
  }
});

test('files and directories removed between the scan and the read are left out with a warning; the backup goes on', { skip: noAddon }, async () => {
  const dir = join(scratch, 'vanish');
  mkdirSync(dir);
  writeFileSync(join(dir, 'small-gone'), 'soon gone\n');
  writeFileSync(join(dir, 'large-gone'), pseudoRandom(1 << 20, 'large-gone'));
  writeFileSync(join(dir, 'kept'), 'kept\n');
  mkdirSync(join(dir, 'sub-gone'));
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const warnings: string[] = [];
  const pool = new ChunkPool(repo.config.chunkerPolynomial, { workers: 1 });
  try {
    const archiver = new Archiver(repo, false, [], undefined, pool, (m) => warnings.push(m));
    // The listing made ahead of the reads, as saveDir makes its subdirectories' listings.
    const prepared = (archiver as unknown as { prepareDir(p: string, t: undefined): Promise<unknown> }).prepareDir(dir, undefined);
    await prepared;
    unlinkSync(join(dir, 'small-gone'));
    unlinkSync(join(dir, 'large-gone'));
    rmdirSync(join(dir, 'sub-gone'));
    const tree = await archiver.saveDir(dir, undefined, prepared as never);
    await repo.flush();
    const names = decodeTree(await repo.loadBlob('tree', tree)).map((n) => n.name);
    assert.deepEqual(names, ['kept']);
    assert.deepEqual(warnings.sort(), [join(dir, 'large-gone'), join(dir, 'small-gone'), join(dir, 'sub-gone')].map((p) => `${p}: removed while the backup walked, left out`));
    assert.deepEqual([archiver.stats.files, archiver.stats.dirs], [1, 0]);
  } finally {
    await pool.close();
  }
});

test('an unreadable or vanished directory rejects with an error naming it', { skip: noAddon }, async () => {
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const gone = join(scratch, 'never-there');
  await assert.rejects(new Archiver(repo).saveDir(gone, undefined), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.message.includes(gone));
  const file = join(scratch, 'not-a-dir');
  writeFileSync(file, '');
  await assert.rejects(new Archiver(repo).saveDir(file, undefined), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR' && err.message.includes(file));
});
