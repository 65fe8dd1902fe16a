/**
 * Repository.queueBlob() keeps no reference to the caller's buffer once it has resolved (the
 * archiver reads small files into reused buffers), through the worker pool (batched small blobs,
 * large blobs alone) and sealed on the main thread; and the archiver's reusable read buffers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { ReadBuffers } from '../../src/backup/read-buffers.js';
import { Repository } from '../../src/backup/repo/repository.js';
import type { BlobType } from '../../src/backup/repo/pack.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };

for (const sealWorkers of [1, 0]) {
  test(`queueBlob() has sealed or copied the blob when it resolves: the caller may overwrite it (sealWorkers ${sealWorkers})`, async () => {
    const repo = await Repository.init(new MemoryBackend(), 'pw', { ...FAST, sealWorkers });
    try {
      const scratch = Buffer.alloc(100 * 1024);
      const saved: { type: BlobType; id: string; bytes: Buffer }[] = [];
      // Small blobs (batched for a worker), a large one (a message of its own) and trees.
      for (const [i, size] of [100, 2000, 4000, 70 * 1024, 300, 1].entries()) {
        for (const type of ['data', 'tree'] as const) {
          const bytes = type === 'tree' ? Buffer.from(JSON.stringify({ nodes: [{ name: `n${i}`, pad: 'x'.repeat(size) }] }) + '\n') : randomBytes(size);
          bytes.copy(scratch);
          const { id } = await repo.queueBlob(type, scratch.subarray(0, bytes.length));
          scratch.fill(0xee); // what a reused read buffer would hold next
          saved.push({ type, id, bytes });
        }
      }
      await repo.flush();
      for (const s of saved) assert.deepEqual(Buffer.from(await repo.loadBlob(s.type, s.id)), s.bytes, `${s.type} blob of ${s.bytes.length} bytes`);
    } finally {
      await repo.close();
    }
  });
}

test('ReadBuffers hands out a buffer once until it is given back and keeps at most `keep`', () => {
  const rb = new ReadBuffers(1024, 2);
  const a = rb.take();
  const b = rb.take();
  const c = rb.take();
  assert.equal(new Set([a, b, c]).size, 3);
  assert.equal(a.length, 1024);
  rb.give(a);
  rb.give(b);
  rb.give(c);
  assert.equal(rb.idle, 2);
  rb.give(b);
  assert.equal(rb.idle, 2, 'a buffer given back twice is kept once');
  assert.ok([a, b].includes(rb.take()));
  assert.throws(() => rb.give(Buffer.alloc(10)), /A buffer of 10 bytes is not one of these \(1024\)/);
  assert.throws(() => new ReadBuffers(0, 1), /Invalid read buffer size 0/);
  assert.throws(() => new ReadBuffers(1, -1), /Invalid number of read buffers -1/);
});
