/**
 * backup() with files read, chunked and hashed in worker threads (chunk-pool.ts): the same cuts
 * and ids as the chunker on the main thread (restic's cuts: chunker.test.ts compares those with
 * restic), so the same trees; a read that fails in a thread fails the backup naming the file,
 * with no snapshot written, and a run after it completes; bad settings are refused.
 */
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { backup } from '../../src/backup/archiver.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { ChunkPool } from '../../src/backup/chunk-pool.js';
import { chunkLengths } from '../../src/backup/repo/chunker.js';
import { hashId } from '../../src/backup/repo/id.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { decodeTree, type TreeNode } from '../../src/backup/repo/tree.js';
import { subtreeOf } from './restic-fixture.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-chunk-workers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Incompressible, deterministic bytes. */
const noise = (n: number, seed: string) => createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));

/**
 * Files for the threads (above 512 KiB) that end mid-chunk, at a cut (1 MiB of zeros: two chunks
 * of MinSize, the second ending with the file and with a read) and after MaxSize cuts, plus small
 * ones the main thread keeps.
 */
function makeSource(root: string): string[] {
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'random.bin'), noise(9 << 20, 'r'));
  writeFileSync(join(root, 'text.txt'), Array.from({ length: 60_000 }, (_, i) => `line ${i} of some compressible text\n`).join(''));
  writeFileSync(join(root, 'zeros-1m'), Buffer.alloc(1 << 20));
  writeFileSync(join(root, 'sub', 'mixed.bin'), Buffer.concat([noise(3 << 20, 'm'), Buffer.alloc(600_000), noise(777_777, 'n')]));
  writeFileSync(join(root, 'sub', 'just-over'), noise(512 * 1024 + 1, 'j'));
  writeFileSync(join(root, 'sub', 'small'), 'small\n');
  writeFileSync(join(root, 'empty'), '');
  return ['random.bin', 'text.txt', 'zeros-1m', 'sub/mixed.bin', 'sub/just-over', 'sub/small', 'empty'];
}

/** The nodes of a snapshot's tree by path below `src` (its parents' names dropped). */
async function nodesBelow(repo: Repository, tree: string, src: string): Promise<Map<string, TreeNode>> {
  const out = new Map<string, TreeNode>();
  const walk = async (id: string, path: string) => {
    for (const n of decodeTree(await repo.loadBlob('tree', id))) {
      const p = `${path}/${n.name}`;
      out.set(p, n);
      if (n.type === 'dir') await walk(n.subtree!, p);
    }
  };
  await walk(tree, '');
  return new Map([...out].filter(([p]) => p.startsWith(`${src}/`)).map(([p, n]) => [p.slice(src.length + 1), n]));
}

test('backup() with chunking threads stores the cuts and ids of the main thread\'s chunker, so the same trees', async () => {
  const src = join(scratch, 'same');
  const files = makeSource(src);
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  try {
    const inline = await backup(repo, { paths: [src], parent: 'none', chunkWorkers: 0 });
    const threaded = await backup(repo, { paths: [src], parent: 'none', chunkWorkers: 2 });
    // The directory's own tree (its parents in the temp dir change as other programs use it).
    assert.equal(await subtreeOf(repo, threaded.snapshot.tree, src), await subtreeOf(repo, inline.snapshot.tree, src), 'the same tree, so the same content lists');
    // Nothing new but the trees of the parents that changed: every chunk the threads cut was stored.
    assert.ok(threaded.stats.blobsSaved < src.split('/').length, `${threaded.stats.blobsSaved} blobs saved again`);
    assert.equal(threaded.stats.bytesRead, inline.stats.bytesRead);
    // And independently of the old path: each content list is the chunker's cuts, hashed.
    const nodes = await nodesBelow(repo, threaded.snapshot.tree, src);
    for (const f of files) {
      const data = readFileSync(join(src, f));
      let o = 0;
      const ids = chunkLengths(repo.chunker, data).map((n) => hashId(data.subarray(o, (o += n))));
      assert.deepEqual(nodes.get(f)?.content, ids, f);
      assert.equal(nodes.get(f)?.size ?? 0, data.length, f);
    }
    assert.equal(nodes.get('zeros-1m')?.content?.length, 2, 'two chunks of MinSize, the last ending with the file');
  } finally {
    await repo.close();
  }
});

test('a read that fails in a chunking thread mid-file (EIO) leaves that whole file out with an error naming it; the rest is saved, and the next run completes', async () => {
  const src = join(scratch, 'failing');
  mkdirSync(src);
  writeFileSync(join(src, 'a-small'), 'small\n');
  writeFileSync(join(src, 'big.bin'), noise(5 << 20, 'b'));
  const backend = new MemoryBackend();
  const repo = await Repository.init(backend, 'pw', FAST);
  const pool = new ChunkPool(repo.config.chunkerPolynomial, { workers: 1, failReadAt: 3 << 20 });
  const told: string[] = [];
  try {
    const r = await backup(repo, { paths: [src], parent: 'none', chunkPool: pool, readError: (e) => told.push(e.message) });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.path, join(src, 'big.bin'));
    assert.match(r.errors[0]!.message, /\/failing\/big\.bin: EIO/);
    assert.deepEqual(told, [r.errors[0]!.message]);
    assert.equal(r.stats.files, 1);
    // No half file: the tree holds the small file only, though 3 MiB of big.bin was chunked.
    const nodes = await nodesBelow(repo, r.snapshot.tree, src);
    assert.deepEqual([...nodes.keys()], ['a-small']);
    assert.deepEqual(await repo.list('snapshots'), [r.id]);
  } finally {
    await pool.close();
    await repo.close();
  }
  const again = await Repository.open(backend, 'pw');
  try {
    const r = await backup(again, { paths: [src], parent: 'none' });
    assert.equal(r.stats.files, 2);
    assert.deepEqual(r.errors, []);
    assert.equal((await again.list('snapshots')).length, 2);
  } finally {
    await again.close();
  }
});

test('backup() refuses a number of chunking threads that is not a whole number ≥ 0, before writing anything', async () => {
  const backend = new MemoryBackend();
  const repo = await Repository.init(backend, 'pw', FAST);
  try {
    for (const n of [-1, 1.5, Number.NaN]) {
      await assert.rejects(backup(repo, { paths: [scratch], chunkWorkers: n }), { name: 'RangeError', message: `Invalid number of chunking threads ${n}` });
    }
    assert.deepEqual(await repo.list('index'), []);
  } finally {
    await repo.close();
  }
  assert.throws(() => new ChunkPool(1n, { workers: 0 }), RangeError);
});

test('a chunking thread that throws (here at its start: a polynomial of the wrong degree) fails the file with an error naming it, and every later one', async () => {
  const src = join(scratch, 'throws');
  mkdirSync(src);
  writeFileSync(join(src, 'big.bin'), noise(1 << 20, 't'));
  const pool = new ChunkPool(0x3n, { workers: 1 });
  try {
    for (let i = 0; i < 2; i++) {
      await assert.rejects(pool.chunkFile(join(src, 'big.bin'), 'throws/big.bin', 1 << 20, async () => {}), (err: Error) => {
        assert.match(err.message, /^Cannot chunk throws\/big\.bin: Chunker polynomial must have degree 53/);
        return true;
      });
    }
  } finally {
    await pool.close();
  }
});

test('ChunkPool.close() rejects a file being chunked and every later one', async () => {
  const src = join(scratch, 'close');
  mkdirSync(src);
  writeFileSync(join(src, 'big.bin'), noise(4 << 20, 'c'));
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const pool = new ChunkPool(repo.config.chunkerPolynomial, { workers: 1 });
  let chunks = 0;
  // Each chunk waits long enough that close() comes while the file is still being chunked.
  const running = pool.chunkFile(join(src, 'big.bin'), 'big.bin', 4 << 20, async () => {
    chunks++;
    await new Promise((r) => setTimeout(r, 50));
  });
  const settled = running.then(() => 'resolved', (err: Error) => err.message);
  while (chunks === 0) await new Promise((r) => setTimeout(r, 5));
  await pool.close();
  assert.equal(await settled, 'The chunk pool was closed');
  await assert.rejects(pool.chunkFile(join(src, 'big.bin'), 'big.bin', 4 << 20, async () => {}), /closed/);
  await repo.close();
});
