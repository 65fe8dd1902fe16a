/** The compact in-memory index against a plain Map, through growth, both blob types and many packs. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { BlobIndex, type BlobLocation } from '../../src/backup/repo/blob-index.js';

const id = (i: number) => createHash('sha256').update(String(i)).digest('hex');

test('BlobIndex finds every blob it was given, by type, through many growths; unknown ids are absent', () => {
  const index = new BlobIndex(16);
  const expected = new Map<string, BlobLocation>();
  for (let i = 0; i < 20_000; i++) {
    const type = i % 5 === 0 ? 'tree' : 'data';
    const loc: BlobLocation = { type, id: id(i), offset: i * 7, length: 100 + i, pack: id(1e6 + (i % 37)) };
    if (i % 3 === 0) loc.uncompressedLength = 4000 + i;
    index.add(loc.pack, loc);
    expected.set(type + loc.id, loc);
  }
  assert.equal(index.size, 20_000);
  for (const [, loc] of expected) {
    assert.deepEqual(index.get(loc.type, loc.id), loc);
    assert.equal(index.has(loc.type === 'tree' ? 'data' : 'tree', loc.id), false, 'the same id as the other type is another blob');
  }
  assert.equal(index.has('data', id(-1)), false);
  assert.equal(index.get('tree', id(-2)), undefined);
  const listed = [...index.values()];
  assert.equal(listed.length, 20_000);
  for (const loc of listed) assert.deepEqual(loc, expected.get(loc.type + loc.id));
});

test('BlobIndex keeps a blob\'s first location when it is added again (a duplicate in another pack)', () => {
  const index = new BlobIndex();
  index.add(id(1), { type: 'data', id: id(9), offset: 0, length: 10 });
  index.add(id(2), { type: 'data', id: id(9), offset: 5, length: 10 });
  assert.equal(index.size, 1);
  assert.equal(index.get('data', id(9))?.pack, id(1));
  assert.throws(() => index.add(id(1), { type: 'data', id: 'xyz', offset: 0, length: 1 }), RangeError);
});
