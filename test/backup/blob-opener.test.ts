/** BlobOpener (repo/blob-opener.ts): openBlob()'s results and errors, into buffers it reuses. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BlobOpener } from '../../src/backup/repo/blob-opener.js';
import { zstd } from '../../src/backup/repo/compression.js';
import { Sealer, randomMasterKey } from '../../src/backup/repo/crypto.js';
import { hashId } from '../../src/backup/repo/id.js';
import { openBlob } from '../../src/backup/repo/open-blob.js';
import type { BlobLocation } from '../../src/backup/repo/blob-index.js';

const key = randomMasterKey();
const sealer = new Sealer(key);
const PACK = 'a'.repeat(64);

function stored(plain: Buffer, compress: boolean): { sealed: Buffer; loc: BlobLocation; id: string } {
  const body = compress ? zstd.compress(plain) : plain;
  const sealed = sealer.seal(body);
  const loc: BlobLocation = { type: 'data', id: hashId(plain), pack: PACK, offset: 0, length: sealed.length };
  if (compress) loc.uncompressedLength = plain.length;
  return { sealed, loc, id: loc.id };
}

test('BlobOpener.open() gives what openBlob() gives, blob after blob of any size, compressed or not', () => {
  const opener = new BlobOpener(key);
  const plains = [Buffer.alloc(3 << 20, 'x'), randomBytes(200_000), Buffer.from('small'), randomBytes(5 << 20), Buffer.alloc(100, 0)];
  for (const plain of plains) {
    for (const compress of [true, false]) {
      const { sealed, loc, id } = stored(plain, compress);
      const got = opener.open(id, loc, sealed);
      assert.ok(got.equals(plain), `${plain.length} bytes, compressed: ${compress}`);
      assert.ok(Buffer.from(openBlob(key, zstd, id, loc, sealed)).equals(got));
    }
  }
});

test('BlobOpener.open() names the blob and its pack when the MAC fails, the frame is larger than the index says, or the content does not hash to the id', () => {
  const opener = new BlobOpener(key);
  const plain = Buffer.alloc(100_000, 'y');
  const { sealed, loc, id } = stored(plain, true);
  const flipped = Buffer.from(sealed);
  flipped[40] = flipped[40]! ^ 1;
  assert.throws(() => opener.open(id, loc, flipped), new RegExp(`^Error: data blob ${id} in pack ${PACK} is damaged \\(Ciphertext verification failed`));
  assert.throws(() => opener.open(id, { ...loc, uncompressedLength: 1000 }, sealed), new RegExp(`data blob ${id} in pack ${PACK} is damaged \\(it does not decompress`));
  const other = hashId(Buffer.from('another'));
  assert.throws(() => opener.open(other, loc, sealed), new RegExp(`data blob ${other} in pack ${PACK} is damaged \\(content hashes to ${id}\\)`));
  assert.throws(() => opener.open(id, loc, sealed.subarray(0, 20)), /is damaged \(20 bytes is shorter than IV and MAC\)/);
  assert.ok(opener.open(id, loc, sealed).equals(plain), 'the opener still works after the failures');
});
