/**
 * The sealing pool (src/backup/repo/seal-pool.ts) starts its threads as the work needs them: a
 * re-run that seals little starts one thread, a busy backup up to its limit, and what it seals
 * opens with the key either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, randomMasterKey } from '../../src/backup/repo/crypto.js';
import { zstd } from '../../src/backup/repo/compression.js';
import { SealPool } from '../../src/backup/repo/seal-pool.js';

const opened = (key: ReturnType<typeof randomMasterKey>, blob: { sealed: Buffer; uncompressedLength?: number }) => {
  const plain = open(key, blob.sealed);
  return Buffer.from(blob.uncompressedLength === undefined ? plain : zstd.decompress(plain));
};

test('SealPool starts no thread before the first blob, one for blobs sealed one after the other', async (t) => {
  const key = randomMasterKey();
  const pool = new SealPool(key, true, 4);
  t.after(() => pool.close());
  assert.equal(pool.threads, 0, 'nothing to seal yet: no thread');
  for (let i = 0; i < 5; i++) {
    const data = Buffer.alloc(64 * 1024, i);
    assert.deepEqual(opened(key, await pool.seal(data)), data);
    const small = randomBytes(100);
    assert.deepEqual(opened(key, await pool.sealSmall(small)), small);
  }
  assert.equal(pool.threads, 1, 'each blob found the first thread idle');
});

test('SealPool starts more threads, up to its limit, while the started ones are busy; every blob opens', async (t) => {
  const key = randomMasterKey();
  const pool = new SealPool(key, true, 3);
  t.after(() => pool.close());
  const blobs = Array.from({ length: 8 }, () => randomBytes(1024 * 1024));
  const sealed = await Promise.all(blobs.map((b) => pool.seal(b)));
  assert.equal(pool.threads, 3, 'eight blobs at once: all three threads');
  sealed.forEach((s, i) => assert.deepEqual(opened(key, s), blobs[i]));
});

test('SealPool refuses fewer than one worker with a clear error', () => {
  assert.throws(() => new SealPool(randomMasterKey(), true, 0), /A sealing pool needs at least one worker, got 0/);
});
