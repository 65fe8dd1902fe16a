/** Chunker set-up and invariants; test/backup/oracle.test.ts compares the cut points with restic's. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { backupNative } from '../../src/backup/native.js';
import { Chunker, MAX_SIZE, MIN_SIZE, chunkLengths, chunkerTables, scan } from '../../src/backup/repo/chunker.js';
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

const chunkScan = backupNative()?.chunkScan;

test('the addon\'s chunkScan() ends where scan() ends, with the same digest', { skip: chunkScan ? false : 'no addon with chunkScan' }, () => {
  const t = chunkerTables(POL);
  const data = pseudoRandom(6 * 1024 * 1024, 'scan');
  // Cuts are rare (1 in 2^20 bytes): a mask of zero bytes makes every range end somewhere.
  data.fill(0, 3_000_000, 3_000_200);
  let cuts = 0;
  for (const [from, bound, firstCut, hi, lo] of [
    [64, data.length, -5, 0, 1],
    [64, data.length, 2_000_000, 0, 1],
    [1000, 2_500_000, 0, 0x1fffff, -1],
    [2_999_000, 3_100_000, 0, 12345, 67890],
    [2_999_000, 3_100_000, 3_000_150, 12345, 67890],
    [2_999_000, 3_100_000, 9e15, 12345, 67890],
    [5_000_000, 5_000_000, 0, 7, 7],
  ] as const) {
    const ours = Int32Array.of(hi, lo);
    const theirs = Int32Array.of(hi, lo);
    const cut = chunkScan!(data, from, bound, firstCut, ours, t.table);
    assert.equal(cut, scan(data, from, bound, firstCut, theirs, t.table), `cut in [${from}, ${bound}) from ${firstCut}`);
    assert.deepEqual(ours, theirs, `digest in [${from}, ${bound}) from ${firstCut}`);
    if (cut >= 0) cuts++;
  }
  assert.ok(cuts >= 3, `only ${cuts} ranges ended at a cut`);
});

test('chunkLengths() cuts the same with and without the addon', { skip: chunkScan ? false : 'no addon with chunkScan' }, () => {
  const data = pseudoRandom(24 * 1024 * 1024, 'both');
  const script = `import { chunkLengths, chunkerTables } from ${JSON.stringify(new URL('../../src/backup/repo/chunker.js', import.meta.url).href)};
    const { readFileSync } = await import('node:fs');
    console.log(JSON.stringify(chunkLengths(chunkerTables(${POL}n), readFileSync(0))));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: data, env: { ...process.env, HOTSTANDBY_BACKUP_NO_NATIVE: '1' }, maxBuffer: 1 << 20 });
  const lengths = chunkLengths(chunkerTables(POL), data);
  assert.ok(lengths.length >= 10, `${lengths.length} chunks`);
  assert.deepEqual(lengths, JSON.parse(out.toString()));
});

test('chunkScan() refuses arguments that would read outside the buffer or tables, with a clear error', { skip: chunkScan ? false : 'no addon with chunkScan' }, () => {
  const t = chunkerTables(POL);
  const buf = new Uint8Array(1000);
  const d = new Int32Array(2);
  assert.throws(() => chunkScan!(buf, 10, 500, 0, d, t.table), RangeError); // the window would start before the buffer
  assert.throws(() => chunkScan!(buf, 64, 1001, 0, d, t.table), RangeError);
  assert.throws(() => chunkScan!(buf, 500, 400, 0, d, t.table), RangeError);
  assert.throws(() => chunkScan!(buf, 64, 500, 0, new Int32Array(1), t.table), RangeError);
  assert.throws(() => chunkScan!(buf, 64, 500, 0, d, new Int32Array(1023)), RangeError);
  assert.throws(() => chunkScan!(Buffer.from(buf).toString() as unknown as Uint8Array, 64, 500, 0, d, t.table), TypeError);
  assert.throws(() => chunkScan!(buf, 64, 500, 0, new Float64Array(2) as unknown as Int32Array, t.table), TypeError);
});
