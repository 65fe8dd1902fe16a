/**
 * restore() of a directory of small files: the restore workers create and restore them whole, in
 * batches (restore-pool.ts restoreFiles), so the main thread creates none of them; the files keep
 * their bytes, modes, owners, nanosecond times and names of any bytes; a damaged pack or a file
 * already there fails the restore naming the file; a one-file restore stays on the main thread.
 */
import assert from 'node:assert/strict';
import fs, { chownSync, chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCipheriv } from 'node:crypto';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { backup } from '../../src/backup/archiver.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { batchCount, restore, Restorer } from '../../src/backup/restorer.js';
import type { RestorePool } from '../../src/backup/restore-pool.js';
import { decodeTree } from '../../src/backup/repo/tree.js';
import type { Backend } from '../../src/backup/repo/backend.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-restore-batches-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const noise = (n: number, seed: string) => createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
const isRoot = process.getuid?.() === 0;
/** A name that is not UTF-8 (0xff): node:fs takes it as bytes. */
const rawName = Buffer.from([0x6e, 0xff, 0x2e, 0x74]);
const FILES = 70; // more than two batches of 32

/** FILES small files (one empty, one of zeros, one setuid, one owned by 1234:5678 when root, one named by raw bytes), times with nanoseconds. */
function makeSmallDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const p = join(dir, `f${i}`);
    writeFileSync(p, i === 0 ? Buffer.alloc(0) : i === 1 ? Buffer.alloc(5000) : noise(100 + i * 300, `s${i}`));
    fs.utimesSync(p, 1_000_000_000 + i, 1_234_567_890 + i + 0.25);
  }
  chmodSync(join(dir, 'f2'), 0o4750);
  if (isRoot) chownSync(join(dir, 'f3'), 1234, 5678);
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), rawName]), 'raw bytes\n');
}

async function backedUp(backend: Backend, src: string): Promise<{ repo: Repository; tree: string }> {
  const repo = await Repository.init(backend, 'pw', FAST);
  const r = await backup(repo, { paths: [src], parent: 'none' });
  await repo.close();
  return { repo: await Repository.open(backend, 'pw'), tree: r.snapshot.tree };
}

/**
 * Counts the files below `below` that the main thread sets the mode of while `fn` runs: it does
 * so for every file it restores itself (restorer.ts setMetadata); a worker's fs is its own.
 */
async function mainThreadFiles<T>(below: string, fn: () => Promise<T>): Promise<{ files: number; result: T }> {
  const original = fs.chmodSync;
  let files = 0;
  fs.chmodSync = (path, mode) => {
    if (String(path).startsWith(below) && statSync(path).isFile()) files++;
    original(path, mode);
  };
  syncBuiltinESMExports();
  try {
    const result = await fn();
    return { files, result };
  } finally {
    fs.chmodSync = original;
    syncBuiltinESMExports();
  }
}

test('restore() with workers: a directory of small files is created and restored by the workers (the main thread restores none), with bytes, modes, owners, nanosecond times and raw-byte names kept, from a local and an in-memory repository', async () => {
  const src = join(scratch, 'src');
  makeSmallDir(src);
  for (const [name, backend] of [['local', new LocalBackend(join(scratch, 'repo'))], ['memory', new MemoryBackend()]] as const) {
    const { repo, tree } = await backedUp(backend, src);
    const target = join(scratch, `target-${name}`);
    const { files: onMain, result: stats } = await mainThreadFiles(target, () => restore(repo, tree, { target, workers: 2 }));
    assert.equal(onMain, 0, `the main thread restored ${onMain} of the small files (${name})`);
    assert.equal(stats.files, FILES + 1);
    const names = readdirSync(src, { encoding: 'buffer' });
    assert.equal(names.length, FILES + 1);
    for (const n of names) {
      const a = Buffer.concat([Buffer.from(`${src}/`), n]);
      const b = Buffer.concat([Buffer.from(`${target}${src}/`), n]);
      const [sa, sb] = [fs.statSync(a, { bigint: true }), fs.statSync(b, { bigint: true })];
      assert.ok(readFileSync(b).equals(readFileSync(a)), `bytes of ${n} (${name})`);
      assert.equal(sb.mode, sa.mode, `mode of ${n}`);
      assert.equal(`${sb.uid}:${sb.gid}`, `${sa.uid}:${sa.gid}`, `owner of ${n}`);
      assert.equal(sb.mtimeNs, sa.mtimeNs, `mtime of ${n.toString()}`);
    }
    assert.ok(statSync(join(target, src, 'f1')).blocks === 0, 'a file of zeros is a hole');
    assert.equal(statSync(join(target, src)).mtimeMs, statSync(src).mtimeMs, 'the directory\'s mtime, set after its files');
    await backend.close();
  }
});

test('restore() of one small file of such a directory restores it on the main thread (no batch for one file)', async () => {
  const src = join(scratch, 'one-src');
  makeSmallDir(src);
  const backend = new LocalBackend(join(scratch, 'one-repo'));
  const { repo, tree } = await backedUp(backend, src);
  const target = join(scratch, 'one-target');
  const wanted = `${src}/f7`;
  const select = (at: string) => ({ restore: at === wanted, descend: wanted.startsWith(`${at}/`) });
  const { files: onMain, result: stats } = await mainThreadFiles(target, () => restore(repo, tree, { target, workers: 2, select }));
  assert.equal(stats.files, 1);
  assert.equal(onMain, 1);
  assert.ok(readFileSync(join(target, wanted)).equals(readFileSync(wanted)));
  await backend.close();
});

test('restore() with workers: a damaged pack or a file already in the target fails the restore with an error naming the small file', async () => {
  const src = join(scratch, 'victim-src');
  makeSmallDir(src);
  const backend = new LocalBackend(join(scratch, 'victim-repo'));
  const { repo, tree } = await backedUp(backend, src);
  await repo.loadIndex();

  const present = join(scratch, 'present-target');
  mkdirSync(join(present, src), { recursive: true });
  writeFileSync(join(present, src, 'f40'), 'mine\n');
  await assert.rejects(restore(repo, tree, { target: present, workers: 2 }), (err: Error) => {
    assert.match(err.message, new RegExp(`^Cannot restore ${present}${src}/f40: EEXIST`));
    return true;
  });
  assert.equal(readFileSync(join(present, src, 'f40'), 'utf8'), 'mine\n', 'the file there is left alone');

  let node = decodeTree(await repo.loadBlob('tree', tree)).find((n) => n.name === src.split('/')[1])!;
  for (const part of src.split('/').filter(Boolean).slice(1)) node = decodeTree(await repo.loadBlob('tree', node.subtree!)).find((n) => n.name === part)!;
  const file = decodeTree(await repo.loadBlob('tree', node.subtree!)).find((n) => n.name === 'f50')!;
  const loc = repo.lookup('data', file.content![0]!)!;
  const fd = openSync(backend.localPath({ type: 'data', name: loc.pack }), 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, loc.offset + 20);
  b[0] = b[0]! ^ 0x55;
  writeSync(fd, b, 0, 1, loc.offset + 20);
  closeSync(fd);
  const target = join(scratch, 'victim-target');
  await assert.rejects(restore(repo, tree, { target, workers: 2 }), (err: Error) => {
    assert.match(err.message, new RegExp(`^Cannot restore ${target}${src}/f50: data blob ${file.content![0]} in pack ${loc.pack} is damaged`));
    return true;
  });
  await backend.close();
});

test('batchCount() gives every worker a batch of a directory\'s small files, evenly, at most 32 and at least 8 files a batch', () => {
  // [files, workers, batches]: 40 files on 2 workers went as 32 + 8 before, and one worker idled.
  const cases = [[40, 2, 2], [70, 2, 3], [8, 4, 1], [16, 4, 2], [100, 4, 4], [1000, 2, 32], [15, 2, 1]] as const;
  for (const [files, workers, batches] of cases) {
    assert.equal(batchCount(files, workers), batches, `${files} files, ${workers} workers`);
    const per = Math.ceil(files / batches);
    assert.ok(per <= 32 && Math.floor(files / batches) >= Math.min(8, files), `${files} files in ${batches} batches`);
  }
});

/** Waits for `cond` with a generous deadline; false when it never held. */
async function eventually(cond: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return cond();
}

test('restore() starts the next directory\'s small files while the last batches of the one before are still in the workers', async () => {
  const src = join(scratch, 'overlap-src');
  for (const d of ['a', 'b']) makeSmallDir(join(src, d));
  const backend = new MemoryBackend();
  const { repo, tree } = await backedUp(backend, src);
  await repo.loadIndex();
  // A pool whose batches finish only when the test lets them: which directories are under way at once?
  const held: { dir: string; finish(): void }[] = [];
  const pool = {
    workers: 2,
    restoreFiles: (files: { path: string | Uint8Array }[]) =>
      new Promise((resolve) => held.push({ dir: String(files[0]!.path).split('/').at(-2)!, finish: () => resolve({ seq: 0, done: files.length, bytes: 0 }) })),
  } as unknown as RestorePool;
  const target = join(scratch, 'overlap-target');
  const restorer = new Restorer(repo, { target, owners: false }, pool);
  const finished = restorer.restoreTree(tree, target);
  const both = await eventually(() => new Set(held.map((h) => h.dir)).size === 2);
  // Then every batch is let finish, as it comes.
  let settled = false;
  void finished.then(() => (settled = true), () => (settled = true));
  for (let released = 0; !settled; ) {
    if (held.length > released) held[released++]!.finish();
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await finished;
  assert.ok(both, `only directory ${held[0]?.dir} had batches under way until it was done`);
  assert.equal(restorer.stats.files, 2 * (FILES + 1));
});

test('restore() with workers across many directories: hard links between them share an inode, each directory keeps its mtime', async () => {
  const src = join(scratch, 'many-src');
  for (let d = 0; d < 12; d++) makeSmallDir(join(src, `d${d}`, 'inner'));
  fs.linkSync(join(src, 'd0', 'inner', 'f5'), join(src, 'd11', 'inner', 'linked'));
  fs.linkSync(join(src, 'd0', 'inner', 'f5'), join(src, 'd6', 'linked-too'));
  for (let d = 0; d < 12; d++) for (const dir of [join(src, `d${d}`, 'inner'), join(src, `d${d}`)]) fs.utimesSync(dir, 1_000_000 + d, 2_000_000 + d);
  const backend = new MemoryBackend();
  const { repo, tree } = await backedUp(backend, src);
  const target = join(scratch, 'many-target');
  const stats = await restore(repo, tree, { target, workers: 2 });
  assert.equal(stats.files, 12 * (FILES + 1) + 2);
  const ino = (p: string) => statSync(join(target, src, p)).ino;
  assert.equal(ino('d11/inner/linked'), ino('d0/inner/f5'));
  assert.equal(ino('d6/linked-too'), ino('d0/inner/f5'));
  assert.equal(statSync(join(target, src, 'd0/inner/f5')).nlink, 3);
  for (let d = 0; d < 12; d++) {
    for (const dir of [`d${d}/inner`, `d${d}`]) assert.equal(statSync(join(target, src, dir)).mtimeMs, statSync(join(src, dir)).mtimeMs, `mtime of ${dir}`);
  }
});
