/** Chunker set-up and invariants; test/backup/oracle.test.ts compares the cut points with restic's. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Chunker, MAX_SIZE, MIN_SIZE, chunkLengths, chunkerTables } from '../../src/backup/repo/chunker.js';
import { degree, isIrreducible, randomIrreducible53 } from '../../src/backup/repo/polynomial.js';

/** The polynomial of restic/chunker's own tests, known irreducible. */
const POL = 0x3da3358b4dc173n;

/** Deterministic pseudo-random bytes (SHA-256 in counter mode). */
function pseudoRandom(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

test('isIrreducible() accepts restic\'s test polynomial and rejects products', () => {
  assert.equal(isIrreducible(POL), true);
  assert.equal(isIrreducible(0b111n), true); // x^2 + x + 1
  assert.equal(isIrreducible(0b101n), false); // (x + 1)^2
  assert.equal(isIrreducible(POL ^ 1n), false); // even constant term: divisible by x
});

test('randomIrreducible53() gives an irreducible polynomial of degree 53', () => {
  const p = randomIrreducible53();
  assert.equal(degree(p), 53);
  assert.equal(isIrreducible(p), true);
});

test('chunkerTables() refuses a polynomial whose degree is not 53', () => {
  assert.throws(() => chunkerTables(0b111n), RangeError);
});

test('chunks are MinSize..MaxSize except the last, and feeding in pieces cuts at the same places', () => {
  const data = pseudoRandom(12 * 1024 * 1024, 'a');
  const tables = chunkerTables(POL);
  const lengths = chunkLengths(tables, data);
  assert.equal(lengths.reduce((a, b) => a + b, 0), data.length);
  for (const n of lengths.slice(0, -1)) assert.ok(n >= MIN_SIZE && n <= MAX_SIZE, `chunk of ${n}`);
  const c = new Chunker(tables);
  const piecewise: number[] = [];
  let chunkStart = 0;
  for (let off = 0; off < data.length; off += 100_003) {
    const piece = data.subarray(off, Math.min(off + 100_003, data.length));
    let from = 0;
    for (;;) {
      const cut = c.nextSplit(piece, from);
      if (cut < 0) break;
      piecewise.push(off + cut - chunkStart);
      chunkStart = off + cut;
      from = cut;
    }
  }
  piecewise.push(data.length - chunkStart);
  assert.deepEqual(piecewise, lengths);
});

test('a run of zero bytes is cut at MinSize (the window empties and the digest is zero)', () => {
  assert.deepEqual(chunkLengths(chunkerTables(POL), Buffer.alloc(3 * MIN_SIZE + 5)), [MIN_SIZE, MIN_SIZE, MIN_SIZE, 5]);
});

test('the interleaved table the hot loop reads holds the four tables entry by entry', () => {
  const t = chunkerTables(POL);
  assert.equal(t.table.length, 1024);
  for (let b = 0; b < 256; b++) {
    assert.deepEqual([t.table[2 * b], t.table[2 * b + 1]], [t.outHi[b], t.outLo[b]], `out[${b}]`);
    assert.deepEqual([t.table[512 + 2 * b], t.table[513 + 2 * b]], [t.modHi[b], t.modLo[b]], `mod[${b}]`);
  }
});
