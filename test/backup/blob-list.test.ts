/** The compact blob list of packs not yet in an index file: round trip, index encoding, bad input. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { BlobList } from '../../src/backup/repo/blob-list.js';
import { encodeIndexFile } from '../../src/backup/repo/index-file.js';
import type { PackedBlob } from '../../src/backup/repo/pack.js';

const id = (i: number) => createHash('sha256').update(String(i)).digest('hex');

const blobs: PackedBlob[] = Array.from({ length: 1000 }, (_, i) => {
  const b: PackedBlob = { type: i % 7 === 0 ? 'tree' : 'data', id: id(i), offset: i * 1021, length: 0xffffffff - i };
  if (i % 3 !== 0) b.uncompressedLength = i === 1 ? 0xffffffff : 5000 + i;
  return b;
});

test('BlobList gives back every blob as it was given, in order, with and without uncompressed lengths', () => {
  const list = new BlobList(blobs);
  assert.equal(list.length, blobs.length);
  assert.deepEqual([...list], blobs);
  assert.deepEqual(list.at(999), blobs[999]);
  assert.equal(new BlobList([]).length, 0);
  assert.throws(() => list.at(1000), RangeError);
});

test('encodeIndexFile() writes the same bytes from a BlobList as from the array of its blobs', () => {
  const packs = [{ id: id(-1), blobs: blobs.slice(0, 400) }, { id: id(-2), blobs: blobs.slice(400) }];
  const compact = packs.map((p) => ({ id: p.id, blobs: new BlobList(p.blobs) }));
  assert.deepEqual(encodeIndexFile({ supersedes: [], packs: compact }), encodeIndexFile({ supersedes: [], packs }));
});

test('BlobList rejects what an index cannot hold: bad ids, negative or too large numbers', () => {
  const ok = blobs[1]!;
  assert.throws(() => new BlobList([{ ...ok, id: 'xyz' }]), /Invalid blob id 'xyz'/);
  assert.throws(() => new BlobList([{ ...ok, offset: -1 }]), /Invalid offset -1/);
  assert.throws(() => new BlobList([{ ...ok, length: 2 ** 32 }]), /Invalid length 4294967296/);
  assert.throws(() => new BlobList([{ ...ok, uncompressedLength: 0 }]), /Invalid uncompressed length 0/);
});
