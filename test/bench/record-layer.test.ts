/**
 * bench/record-layer.ts's sealed records: its CPU figures count only if the receiver really
 * authenticates every record before it takes the plaintext (the nonce from the record counter,
 * the length as additional data, a full 16-byte tag).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, recordLength, seal } from '../../bench/record-layer.js';

const key = randomBytes(32);
const iv = randomBytes(12);
const plaintext = randomBytes(4096);
const record = () => Buffer.concat(seal(key, iv, 7, plaintext));

test('open() returns what seal() sealed, under the same counter', () => {
  assert.deepEqual(open(key, iv, 7, record()), plaintext);
});

test('open() refuses a flipped bit in the ciphertext, the tag or the length', () => {
  for (const at of [10, record().length - 1, 3]) {
    const bad = record();
    bad[at]! ^= 1;
    assert.throws(() => open(key, iv, 7, bad.subarray(0, Math.min(bad.length, 4 + bad.readUInt32BE(0) + 16))), `a flipped bit at ${at} was accepted`);
  }
});

test('open() refuses a record under another counter (replayed or reordered)', () => {
  assert.throws(() => open(key, iv, 8, record()), /Unsupported state or unable to authenticate data/);
});

test('open() refuses a record cut short: the first 8 bytes of the right tag are not enough', () => {
  const whole = record();
  assert.throws(() => open(key, iv, 7, whole.subarray(0, whole.length - 8)), /Record of 4108 bytes, its head says 4096 \+ 20/);
});

test('recordLength() refuses a length over 1 MiB from the head alone', () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(1024 * 1024 + 1);
  assert.throws(() => recordLength(head, 0, 4), /Record length 1048577 is over 1048576/);
  assert.equal(recordLength(head, 0, 3), undefined);
});
