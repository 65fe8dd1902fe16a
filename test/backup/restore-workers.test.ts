/**
 * restore() with the file contents restored in worker threads (restore-pool.ts): the same bytes,
 * holes and modes as on the main thread alone, from a local repository (the workers read the
 * packs) and an in-memory one (the stored bytes travel in the messages); a damaged pack fails
 * the restore with an error naming the file.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCipheriv } from 'node:crypto';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { backup } from '../../src/backup/archiver.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { restore } from '../../src/backup/restorer.js';
import { decodeTree } from '../../src/backup/repo/tree.js';
import type { Backend } from '../../src/backup/repo/backend.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-restore-workers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Incompressible, deterministic bytes. */
const noise = (n: number, seed: string) => createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));

const SPARSE_SIZE = 12 << 20;

/** A tree with files of many blobs, a file of one large blob, a sparse one, small and empty ones. */
function makeSource(root: string): string[] {
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'random.bin'), noise(5 << 20, 'r'));
  writeFileSync(join(root, 'text.txt'), Array.from({ length: 60_000 }, (_, i) => `line ${i} of some compressible text\n`).join(''));
  writeFileSync(join(root, 'sub', 'one-blob.bin'), noise(300_000, 'o'));
  writeFileSync(join(root, 'sub', 'small'), 'small\n');
  writeFileSync(join(root, 'empty'), '');
  const fd = openSync(join(root, 'sparse.img'), 'w');
  writeSync(fd, noise(4096, 's1'), 0, 4096, 0);
  writeSync(fd, noise(4096, 's2'), 0, 4096, SPARSE_SIZE - 4096);
  closeSync(fd);
  return ['random.bin', 'text.txt', 'sub/one-blob.bin', 'sub/small', 'empty', 'sparse.img'];
}

async function backedUp(backend: Backend, src: string): Promise<{ repo: Repository; tree: string }> {
  const repo = await Repository.init(backend, 'pw', FAST);
  const r = await backup(repo, { paths: [src], parent: 'none' });
  await repo.close();
  const reopened = await Repository.open(backend, 'pw');
  return { repo: reopened, tree: r.snapshot.tree };
}

/** The descriptors this process has open. */
const openFds = () => readdirSync('/proc/self/fd').length;

test('restore() through the workers gives the files byte for byte, holes as holes, from a local and an in-memory repository, as the main thread alone does, and leaves no descriptor open', async () => {
  const fdsBefore = openFds();
  const src = join(scratch, 'src');
  const files = makeSource(src);
  const backends: [string, Backend][] = [
    ['local', new LocalBackend(join(scratch, 'repo'))],
    ['memory', new MemoryBackend()],
  ];
  for (const [name, backend] of backends) {
    const { repo, tree } = await backedUp(backend, src);
    for (const workers of [2, 0]) {
      const target = join(scratch, `target-${name}-${workers}`);
      const stats = await restore(repo, tree, { target, workers });
      assert.equal(stats.files, files.length, `${name}, ${workers} workers`);
      for (const f of files) {
        const restored = join(target, src, f);
        assert.ok(readFileSync(restored).equals(readFileSync(join(src, f))), `${f} (${name}, ${workers} workers)`);
        assert.equal(statSync(restored).mode & 0o7777, statSync(join(src, f)).mode & 0o7777, `mode of ${f}`);
        assert.equal(statSync(restored).mtimeMs, statSync(join(src, f)).mtimeMs, `mtime of ${f}`);
      }
      const sparse = statSync(join(target, src, 'sparse.img'));
      assert.equal(sparse.size, SPARSE_SIZE);
      assert.ok(sparse.blocks * 512 < SPARSE_SIZE / 2, `sparse.img restored with holes (${sparse.blocks * 512} bytes allocated, ${name}, ${workers} workers)`);
    }
    await backend.close();
  }
  assert.equal(openFds(), fdsBefore, 'the workers closed the packs they read');
});

test('restore(): a damaged pack fails the restore with an error naming the file, the blob and its pack, with or without workers', async () => {
  const src = join(scratch, 'victim-src');
  mkdirSync(src);
  writeFileSync(join(src, 'victim.bin'), noise(2 << 20, 'v'));
  const root = join(scratch, 'victim-repo');
  const backend = new LocalBackend(root);
  const { repo, tree } = await backedUp(backend, src);
  await repo.loadIndex();
  let node = decodeTree(await repo.loadBlob('tree', tree)).find((n) => n.name === src.split('/')[1])!;
  for (const part of src.split('/').filter(Boolean).slice(1)) node = decodeTree(await repo.loadBlob('tree', node.subtree!)).find((n) => n.name === part)!;
  const file = decodeTree(await repo.loadBlob('tree', node.subtree!)).find((n) => n.name === 'victim.bin')!;
  const blob = file.content![file.content!.length - 1]!;
  const loc = repo.lookup('data', blob)!;
  const packPath = backend.localPath({ type: 'data', name: loc.pack });
  const fd = openSync(packPath, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, loc.offset + 100);
  b[0] = b[0]! ^ 0x55;
  writeSync(fd, b, 0, 1, loc.offset + 100);
  closeSync(fd);
  for (const workers of [2, 0]) {
    const target = join(scratch, `victim-target-${workers}`);
    await assert.rejects(restore(repo, tree, { target, workers }), (err: Error) => {
      assert.match(err.message, new RegExp(`^Cannot restore ${target}${src}/victim\\.bin: data blob ${blob} in pack ${loc.pack} is damaged`));
      return true;
    });
  }
  await backend.close();
});
