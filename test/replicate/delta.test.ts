/**
 * rsync's algorithm in memory (delta-signature.ts, delta-encoder.ts, delta-ops.ts): seeded random
 * edits of a basis are rebuilt byte for byte from copies and literals, and only the changed
 * parts travel as literals.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Prng } from '../../src/sim/prng.js';
import { DeltaEncoder, type DeltaEncoderOptions } from '../../src/replicate/delta-encoder.js';
import { decodeOps, encodeOps, opLength, trimOp, type DeltaOp } from '../../src/replicate/delta-ops.js';
import { blockSizeFor, computeSums, SignatureBuilder, SUM_BYTES, weakParts } from '../../src/replicate/delta-signature.js';

function bytes(prng: Prng, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = prng.nextUint32() & 0xff;
  return out;
}

const readerOf = (file: Buffer) => async (buffer: Buffer, position: number) => {
  const n = Math.max(0, Math.min(buffer.length, file.length - position));
  file.copy(buffer, 0, position, position + n);
  return n;
};

async function signatureOf(basis: Buffer, blockSize = blockSizeFor(basis.length), pageBlocks = 7) {
  const builder = new SignatureBuilder(basis.length, blockSize);
  const count = Math.ceil(basis.length / blockSize);
  // In pages, as the replica sends them.
  for (let from = 0; from < count; from += pageBlocks) builder.add(await computeSums(readerOf(basis), basis.length, blockSize, from, Math.min(pageBlocks, count - from)));
  return builder.build();
}

async function delta(basis: Buffer, target: Buffer, blockSize?: number, options?: DeltaEncoderOptions) {
  const encoder = new DeltaEncoder(await signatureOf(basis, blockSize), readerOf(target), options);
  const ops: DeltaOp[] = [];
  for await (const op of encoder.ops()) ops.push(op);
  return { ops, digest: encoder.digest(), encoder };
}

function apply(basis: Buffer, ops: readonly DeltaOp[]): Buffer {
  return Buffer.concat(ops.map((op) => (op.kind === 'literal' ? op.bytes : basis.subarray(op.from, op.from + op.length))));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function edit(prng: Prng, basis: Buffer, kind: string): Buffer {
  const at = prng.int(0, basis.length);
  switch (kind) {
    case 'insert':
      return Buffer.concat([basis.subarray(0, at), bytes(prng, prng.int(1, 5000)), basis.subarray(at)]);
    case 'delete':
      return Buffer.concat([basis.subarray(0, at), basis.subarray(Math.min(basis.length, at + prng.int(1, 5000)))]);
    case 'overwrite': {
      const copy = Buffer.from(basis);
      bytes(prng, prng.int(1, 300)).copy(copy, Math.min(at, copy.length - 1));
      return copy;
    }
    case 'append':
      return Buffer.concat([basis, bytes(prng, prng.int(1, 70_000))]);
    case 'truncate':
      return basis.subarray(0, at);
    case 'identical':
      return Buffer.from(basis);
    case 'different':
      return bytes(prng, prng.int(0, basis.length * 2));
    default:
      throw new Error(kind);
  }
}

test('weak checksum rolled byte by byte equals the one computed afresh (Tridgell & Mackerras §4)', () => {
  const prng = new Prng(1);
  const data = bytes(prng, 5000);
  const l = 700;
  let [a, b] = weakParts(data, 0, l);
  for (let k = 0; k + l < data.length; k++) {
    const x = data[k]!;
    a = (a - x + data[k + l]!) & 0xffff;
    b = (b - l * x + a) & 0xffff;
    assert.deepEqual([a, b], weakParts(data, k + 1, k + 1 + l), `window at ${k + 1}`);
  }
});

test('weakParts() is a = Σ x_i, b = Σ (l − i) x_i (mod 2^16) at every alignment and length (word and byte paths)', () => {
  const prng = new Prng(7);
  const backing = bytes(prng, 70_000);
  for (const shift of [0, 1, 2, 3, 4, 5]) {
    const data = backing.subarray(shift); // byteOffset 0..5: aligned and unaligned words
    for (const [start, length] of [[0, 64], [0, 65_536], [4, 1027], [8, 16_384], [3, 700], [12, 66], [16, 63]] as const) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < length; i++) {
        a = (a + data[start + i]!) & 0xffff;
        b = (b + (length - i) * data[start + i]!) & 0xffff;
      }
      assert.deepEqual(weakParts(data, start, start + length), [a, b], `offset ${shift} + ${start}, ${length} bytes`);
    }
  }
});

test('blockSizeFor() is about the square root, a multiple of 8, clamped', () => {
  assert.equal(blockSizeFor(0), 1024);
  assert.equal(blockSizeFor(1024 * 1024), 1024);
  assert.equal(blockSizeFor(256 * 1024 * 1024), 16384);
  assert.equal(blockSizeFor(1e15), 128 * 1024);
  assert.equal(blockSizeFor(5_000_000) % 8, 0);
});

test('Seeded random edits are rebuilt byte for byte, with literals bounded by the edit', async () => {
  const kinds = ['insert', 'delete', 'overwrite', 'append', 'truncate', 'identical', 'different'];
  for (let seed = 1; seed <= 60; seed++) {
    const prng = new Prng(seed);
    const basis = bytes(prng, prng.int(0, 300_000));
    let target = basis;
    const applied: string[] = [];
    for (let e = prng.int(1, 3); e > 0; e--) {
      const kind = prng.pick(kinds);
      applied.push(kind);
      target = edit(prng, target, kind);
    }
    const blockSize = prng.pick([0, 1024, 1000, 4096]) || undefined;
    const options = prng.pick([{}, { readChunk: 4096, literalMax: 3000 }, { readChunk: 1, literalMax: 1 }].slice(0, basis.length > 100_000 ? 2 : 3));
    const { ops, digest, encoder } = await delta(basis, target, blockSize, options);
    const label = `seed ${seed}: ${applied.join(', ')} (${basis.length} → ${target.length} bytes)`;
    assert.ok(apply(basis, ops).equals(target), label);
    assert.equal(digest, sha256(target), label);
    assert.equal(encoder.literalBytes + encoder.copiedBytes, target.length, label);
    // Round trip through the wire encoding.
    assert.ok(apply(basis, decodeOps(encodeOps(ops))).equals(target), `${label}: wire round trip`);
    if (!applied.includes('different')) {
      // Each edit costs at most about two blocks of literals (rsync's bound) plus what it inserts.
      const bs = blockSize ?? blockSizeFor(basis.length);
      const inserted = Math.max(0, target.length - basis.length);
      assert.ok(encoder.literalBytes <= applied.length * 2 * bs + inserted + 70_000, `${label}: ${encoder.literalBytes} literal bytes`);
    }
  }
});

test('An identical file is all copies (the short last block included); a totally different one all literal', async () => {
  const prng = new Prng(7);
  const basis = bytes(prng, 1024 * 1024 + 333);
  const same = await delta(basis, Buffer.from(basis));
  assert.equal(same.encoder.literalBytes, 0);
  assert.deepEqual(same.ops, [{ kind: 'copy', from: 0, length: basis.length }]);
  const other = bytes(prng, 1024 * 1024);
  const different = await delta(basis, other);
  assert.equal(different.encoder.copiedBytes, 0);
  assert.ok(apply(basis, different.ops).equals(other));
  const empty = await delta(Buffer.alloc(0), other);
  assert.ok(apply(Buffer.alloc(0), empty.ops).equals(other));
  const toEmpty = await delta(basis, Buffer.alloc(0));
  assert.deepEqual(toEmpty.ops, []);
});

test('A file far larger than the encoder buffer streams through it: 8 MiB with a 64 KiB buffer limit', async () => {
  const prng = new Prng(9);
  const basis = bytes(prng, 8 * 1024 * 1024);
  const target = Buffer.concat([basis.subarray(0, 3_000_000), Buffer.from('inserted'), basis.subarray(3_000_000, 7_000_000), bytes(prng, 100_000)]);
  let largestRead = 0;
  const encoder = new DeltaEncoder(await signatureOf(basis, 4096, 1000), async (buffer, position) => {
    largestRead = Math.max(largestRead, buffer.length);
    return readerOf(target)(buffer, position);
  }, { readChunk: 32 * 1024, literalMax: 16 * 1024 });
  const ops: DeltaOp[] = [];
  for await (const op of encoder.ops()) ops.push(op);
  assert.ok(encoder.bufferBytes <= 64 * 1024 && largestRead <= 32 * 1024, `buffer ${encoder.bufferBytes}`);
  assert.ok(ops.every((op) => op.kind === 'copy' || op.bytes.length <= 16 * 1024));
  assert.ok(apply(basis, ops).equals(target));
  assert.ok(encoder.literalBytes < 100_000 + 3 * 4096, `${encoder.literalBytes} literal bytes`);
});

test('trimOp() skips what a resumed transfer already holds, splitting the op it falls in', () => {
  const ops: DeltaOp[] = [{ kind: 'literal', bytes: Buffer.from('abcdef') }, { kind: 'copy', from: 100, length: 10 }, { kind: 'literal', bytes: Buffer.from('xyz') }];
  const from = (offset: number) => {
    let at = 0;
    const out: DeltaOp[] = [];
    for (const op of ops) {
      const t = trimOp(op, at, offset);
      if (t) out.push(t);
      at += opLength(op);
    }
    return out;
  };
  assert.deepEqual(from(0), ops);
  assert.deepEqual(from(4), [{ kind: 'literal', bytes: Buffer.from('ef') }, ops[1], ops[2]]);
  assert.deepEqual(from(9), [{ kind: 'copy', from: 103, length: 7 }, ops[2]]);
  assert.deepEqual(from(19), []);
});

test('decodeOps() rejects truncated, zero-length and unknown operations with a RangeError', () => {
  const good = encodeOps([{ kind: 'literal', bytes: Buffer.from('abc') }, { kind: 'copy', from: 5, length: 9 }]);
  for (let cut = 1; cut < good.length; cut++) if (cut !== 8) assert.throws(() => decodeOps(good.subarray(0, cut)), RangeError, `cut at ${cut}`);
  assert.throws(() => decodeOps(Buffer.from([9])), /unknown/);
  assert.throws(() => decodeOps(encodeOps([{ kind: 'copy', from: 0, length: 0 }])), RangeError);
  assert.throws(() => new SignatureBuilder(100, 10).add(Buffer.alloc(SUM_BYTES + 1)), RangeError);
  assert.throws(() => new SignatureBuilder(100, 10).build(), RangeError);
});
