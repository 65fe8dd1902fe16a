/**
 * The fast index-file reader (repo/index-scan.ts) against decodeIndexFile: the same blobs for the
 * form restic and we write, a fallback (undefined) for any other spelling, and a repository whose
 * index files are spelled otherwise still opens with every blob.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { BlobIndex } from '../../src/backup/repo/blob-index.js';
import { decodeIndexFile, encodeIndexFile, type IndexFile } from '../../src/backup/repo/index-file.js';
import { scanIndexFile, TREE_BIT, type ScannedIndex } from '../../src/backup/repo/index-scan.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { zstd } from '../../src/backup/repo/compression.js';
import { encodeUnpacked } from '../../src/backup/repo/unpacked.js';
import { hashId } from '../../src/backup/repo/id.js';

const id = (i: number) => createHash('sha256').update(String(i)).digest('hex');

/** The scanned arrays as decodeIndexFile's value, to compare the two readers. */
function asIndexFile(s: ScannedIndex): IndexFile {
  const bytes = Buffer.from(s.ids.buffer);
  const packs: IndexFile['packs'] = s.packs.map((p) => ({ id: p, blobs: [] }));
  for (let i = 0; i < s.blobs; i++) {
    const m = s.meta.subarray(i * 4, i * 4 + 4);
    packs[(m[0]! & ~TREE_BIT) >>> 0]!.blobs.push({
      type: m[0]! & TREE_BIT ? 'tree' : 'data',
      id: bytes.toString('hex', i * 32, i * 32 + 32),
      offset: m[1]!,
      length: m[2]!,
      ...(m[3] ? { uncompressedLength: m[3] } : {}),
    });
  }
  return { supersedes: s.supersedes, packs };
}

const sample: IndexFile = {
  supersedes: [],
  packs: [
    { id: id(100), blobs: [{ type: 'data', id: id(1), offset: 0, length: 38 }, { type: 'tree', id: id(2), offset: 38, length: 112, uncompressedLength: 511 }] },
    { id: id(101), blobs: [] },
    { id: id(102), blobs: [{ type: 'data', id: id(3), offset: 0xffffffff, length: 4294967295, uncompressedLength: 1 }] },
  ],
};

test('scanIndexFile() reads what encodeIndexFile writes as decodeIndexFile does, with supersedes, empty packs and the largest offsets', () => {
  for (const file of [sample, { ...sample, supersedes: [id(7), id(8)] }, { supersedes: [], packs: [] }]) {
    const json = encodeIndexFile(file);
    const scanned = scanIndexFile(json);
    assert.ok(scanned, json.toString());
    assert.deepEqual(asIndexFile(scanned), decodeIndexFile(json));
  }
});

test('scanIndexFile() accepts restic\'s spelling (Go\'s json.Encoder ends the document with a newline) and an empty supersedes written out', () => {
  const canonical = encodeIndexFile(sample).toString();
  for (const text of [`${canonical}\n`, canonical.replace('{"packs":[', '{"supersedes":[],"packs":[')]) {
    const json = Buffer.from(text);
    assert.deepEqual(asIndexFile(scanIndexFile(json)!), decodeIndexFile(json));
  }
});

test('scanIndexFile() leaves every other spelling to decodeIndexFile (undefined), valid or not', () => {
  const canonical = encodeIndexFile(sample).toString();
  const others = [
    JSON.stringify(JSON.parse(canonical), null, 1), // whitespace
    canonical.replace('"offset":38,"length":112', '"length":112,"offset":38'), // another field order
    canonical.replace('"type":"data"', '"type":"d\\u0061ta"'), // an escape
    canonical.replace('{"packs":[', '{"x":[],"packs":['), // an unknown field
    canonical.replace('"offset":38', '"offset":4294967296'), // too large for the index
    canonical.replace('"offset":38', '"offset":038'), // a leading zero: not JSON
    canonical.replace('"offset":38', '"offset":38.0'),
    canonical.replace('"offset":38', '"offset":-38'),
    canonical.replace(id(1), id(1).toUpperCase()),
    canonical.replace(id(1), id(1).slice(1)),
    canonical.replace('"type":"data"', '"type":"dat"'),
    canonical.slice(0, -1), // truncated
    canonical.slice(0, canonical.indexOf('"offset":38') + 10), // truncated in a number
    `${canonical}x`,
    '[]',
    '',
  ];
  for (const text of others) assert.notEqual(text, canonical);
  for (const text of others) assert.equal(scanIndexFile(Buffer.from(text)), undefined, text.slice(0, 120));
});

test('BlobIndex.addScanned() and reserve() give the same lookups as add(), duplicates keeping their first location', () => {
  const files: IndexFile[] = [0, 1, 2].map((f) => ({
    supersedes: [],
    packs: Array.from({ length: 20 }, (_, p) => ({
      id: id(1e6 + f * 100 + p),
      blobs: Array.from({ length: 300 }, (_, b) => ({ type: b % 7 === 0 ? ('tree' as const) : ('data' as const), id: id(f === 2 && b < 10 ? b : f * 1e5 + p * 1000 + b), offset: b * 10, length: 10, ...(b % 2 ? { uncompressedLength: 99 } : {}) })),
    })),
  }));
  const slow = new BlobIndex();
  const fast = new BlobIndex();
  fast.reserve(12_000);
  for (const f of files) {
    for (const p of f.packs) for (const b of p.blobs) slow.add(p.id, b);
    fast.addScanned(scanIndexFile(encodeIndexFile(f))!);
  }
  assert.equal(fast.size, slow.size);
  for (const loc of slow.values()) assert.deepEqual(fast.get(loc.type, loc.id), loc);
});

test('a repository whose index file is spelled otherwise (whitespace) still loads every blob', async () => {
  const backend = new MemoryBackend();
  const repo = await Repository.init(backend, 'pw', { scrypt: { N: 1024, r: 8, p: 1 } });
  const { id: blob } = await repo.saveBlob('data', Buffer.from('hello'));
  await repo.flush();
  const [name] = await repo.list('index');
  const json = JSON.stringify(JSON.parse(Buffer.from(await repo.loadUnpacked('index', name!)).toString()), null, 2);
  assert.equal(scanIndexFile(Buffer.from(json)), undefined);
  await backend.remove({ type: 'index', name: name! });
  const stored = encodeUnpacked(repo.key, Buffer.from(json), zstd);
  await backend.save({ type: 'index', name: hashId(stored) }, stored);
  const again = await Repository.open(backend, 'pw');
  await again.loadIndex();
  assert.deepEqual(Buffer.from(await again.loadBlob('data', blob)).toString(), 'hello');
});
