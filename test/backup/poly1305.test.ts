/**
 * Poly1305 against RFC 8439 (§2.5.2 and the A.3 vectors that exercise the edge cases of the
 * final reduction), and against a bigint reference on random inputs of every length up to 100.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Poly1305, poly1305 } from '../../src/backup/repo/poly1305.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s:]/g, ''), 'hex');
const r2 = '02' + '00'.repeat(15);
const r1 = '01' + '00'.repeat(15);
const zero16 = '00'.repeat(16);

const vectors: { name: string; key: string; msg: Buffer; tag: string }[] = [
  {
    name: '§2.5.2',
    key: '85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b',
    msg: Buffer.from('Cryptographic Forum Research Group'),
    tag: 'a8:06:1d:c1:30:51:36:c6:c2:2b:8b:af:0c:01:27:a9',
  },
  { name: 'A.3 #1', key: '00'.repeat(32), msg: Buffer.alloc(64), tag: zero16 },
  { name: 'A.3 #5', key: r2 + zero16, msg: hex('ff'.repeat(16)), tag: '03' + '00'.repeat(15) },
  { name: 'A.3 #6', key: r2 + 'ff'.repeat(16), msg: hex(r2), tag: '03' + '00'.repeat(15) },
  { name: 'A.3 #7', key: r1 + zero16, msg: hex('ff'.repeat(16) + 'f0' + 'ff'.repeat(15) + '11' + '00'.repeat(15)), tag: '05' + '00'.repeat(15) },
  { name: 'A.3 #8', key: r1 + zero16, msg: hex('ff'.repeat(16) + 'fb' + 'fe'.repeat(15) + '01'.repeat(16)), tag: zero16 },
  { name: 'A.3 #9', key: r2 + zero16, msg: hex('fd' + 'ff'.repeat(15)), tag: 'fa' + 'ff'.repeat(15) },
  {
    name: 'A.3 #10',
    key: '01' + '00'.repeat(7) + '04' + '00'.repeat(7) + zero16,
    msg: hex('E33594D7505E43B900000000000000003394D7505E4379CD01000000000000000000000000000000000000000000000001000000000000000000000000000000'),
    tag: '14000000000000005500000000000000',
  },
  {
    name: 'A.3 #11',
    key: '01' + '00'.repeat(7) + '04' + '00'.repeat(7) + zero16,
    msg: hex('E33594D7505E43B900000000000000003394D7505E4379CD010000000000000000000000000000000000000000000000'),
    tag: '13000000000000000000000000000000',
  },
];

for (const v of vectors) {
  test(`poly1305() matches RFC 8439 ${v.name}`, () => {
    assert.equal(Buffer.from(poly1305(hex(v.key), v.msg)).toString('hex'), hex(v.tag).toString('hex'));
  });
}

const le = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));

/** The definition, in bigint: ((Σ (block_i + 2^(8·len)) · r^…) mod (2^130 − 5) + s) mod 2^128. */
function reference(key: Uint8Array, msg: Uint8Array): string {
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = le(key.subarray(16));
  const p = (1n << 130n) - 5n;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, i + 16);
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  const tag = (acc + s) & ((1n << 128n) - 1n);
  return Buffer.from(tag.toString(16).padStart(32, '0'), 'hex').reverse().toString('hex');
}

test('poly1305() equals a bigint reference for every length 0..100 and for all-ones keys', () => {
  for (let len = 0; len <= 100; len++) {
    const key = len % 7 === 0 ? Buffer.alloc(32, 0xff) : randomBytes(32);
    const msg = len % 5 === 0 ? Buffer.alloc(len, 0xff) : randomBytes(len);
    assert.equal(Buffer.from(poly1305(key, msg)).toString('hex'), reference(key, msg), `length ${len}`);
  }
});

test('Poly1305.update() in pieces gives the one-shot tag', () => {
  const key = randomBytes(32);
  const msg = randomBytes(1000);
  const p = new Poly1305(key);
  for (const cut of [1, 15, 16, 17, 100, 333]) p.update(msg.subarray(0, 0)).update(msg.subarray(cut - 1, cut - 1)); // empty updates
  let off = 0;
  for (const n of [1, 15, 17, 32, 3, 500]) {
    p.update(msg.subarray(off, off + n));
    off += n;
  }
  p.update(msg.subarray(off));
  assert.deepEqual(Buffer.from(p.digest()), Buffer.from(poly1305(key, msg)));
});

test('the addon\'s Poly1305 (OpenSSL EVP_MAC) equals the TypeScript one on RFC 8439 vectors and random inputs', async (t) => {
  const { backupNative } = await import('../../src/backup/native.js');
  const native = backupNative()?.poly1305;
  if (!native) {
    t.skip('the native addon with poly1305 is not built');
    return;
  }
  for (const v of vectors) assert.equal(native(hex(v.key), v.msg).toString('hex'), hex(v.tag).toString('hex'), v.name);
  for (const len of [0, 1, 16, 17, 1000, 100_000]) {
    const key = randomBytes(32);
    const msg = randomBytes(len);
    assert.deepEqual(native(key, msg), Buffer.from(poly1305(key, msg)), `length ${len}`);
  }
});
