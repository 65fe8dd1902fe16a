/**
 * The addon's incremental Poly1305 (native/poly1305.cc), the whole-file check of a streamed file
 * (src/replicate/content-check.ts): the tag of any split of a message (empty pieces included)
 * is the one-shot tag, RFC 8439 §2.5.2's vector holds, and misuse is refused by name.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';
import { poly1305Check, poly1305KeyFromWire } from '../../src/replicate/content-check.js';

const native = loadNative();
const Context = native.Poly1305Context!;
const hex = (s: string) => Buffer.from(s.replace(/:/g, ''), 'hex');

test('Poly1305Context gives RFC 8439 §2.5.2 tag, in one piece and byte by byte', () => {
  const key = hex('85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b');
  const message = Buffer.from('Cryptographic Forum Research Group');
  const tag = 'a8061dc1305136c6c22b8baf0c0127a9';
  assert.equal(new Context(key).update(message).digest().toString('hex'), tag);
  const bytewise = new Context(key);
  for (let i = 0; i < message.length; i++) bytewise.update(message.subarray(i, i + 1));
  assert.equal(bytewise.digest().toString('hex'), tag);
});

test('Poly1305Context over random splits (empty pieces included) equals the one-shot poly1305()', () => {
  for (let round = 0; round < 200; round++) {
    const key = randomBytes(32);
    // Lengths around the 16-byte block and OpenSSL's bulk path, up to a few MiB.
    const length = round < 150 ? randomInt(0, 300) : randomInt(0, 3 * 1024 * 1024);
    const message = randomBytes(length);
    const context = new Context(key);
    let at = 0;
    let pieces = 0;
    while (at < message.length) {
      const size = randomInt(0, 4) === 0 ? 0 : randomInt(1, Math.max(2, Math.min(message.length - at, round < 150 ? 40 : 256 * 1024) + 1));
      context.update(message.subarray(at, Math.min(message.length, at + size)));
      at += size;
      pieces++;
    }
    context.update(Buffer.alloc(0));
    assert.equal(context.digest().toString('hex'), native.poly1305!(key, message).toString('hex'), `${length} bytes in ${pieces + 1} pieces`);
  }
});

test('Poly1305Context refuses a key of another length, a non-Buffer, and use after its digest', () => {
  assert.throws(() => new Context(Buffer.alloc(31)), (err: Error) => err instanceof RangeError && /key must be 32 bytes, got 31/.test(err.message));
  assert.throws(() => new Context(Buffer.alloc(33)), (err: Error) => err instanceof RangeError && /got 33/.test(err.message));
  assert.throws(() => new Context('k'.repeat(32) as unknown as Buffer), (err: Error) => err instanceof TypeError && /key as a Buffer/.test(err.message));
  const context = new Context(randomBytes(32));
  assert.throws(() => context.update('text' as unknown as Buffer), (err: Error) => err instanceof TypeError && /update\(\) takes a Buffer/.test(err.message));
  assert.throws(() => context.update(undefined as unknown as Buffer), TypeError);
  context.update(Buffer.from('some bytes'));
  assert.equal(context.digest().length, 16);
  assert.throws(() => context.update(Buffer.from('more')), /update\(\) after digest\(\)/);
  assert.throws(() => context.digest(), /digest\(\) called twice/);
});

test('poly1305Check() gives the hex tag; a begin reply key must be 64 lower-case hex digits', () => {
  const key = randomBytes(32);
  const check = poly1305Check(Context, poly1305KeyFromWire(key.toString('hex')));
  check.update(Buffer.from('abc'));
  check.update(Buffer.from('def'));
  assert.equal(check.kind, 'poly1305');
  assert.equal(check.digest(), native.poly1305!(key, Buffer.from('abcdef')).toString('hex'));
  for (const bad of [undefined, 42, 'ab', 'A'.repeat(64), 'g'.repeat(64), '0'.repeat(66)]) {
    assert.throws(() => poly1305KeyFromWire(bad), (err: Error) => err instanceof TypeError && /is not 64 lower-case hex digits/.test(err.message), String(bad));
  }
});
