/** The bandwidth limit's pure parts: `bandwidthLimit` text and the token bucket (fake clock). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBandwidth, parseBandwidth } from '../../src/replicate/bandwidth-text.js';
import { Throttle, TokenBucket } from '../../src/replicate/token-bucket.js';

test('parseBandwidth() reads SI, IEC and bit units per second', () => {
  const cases: [string, number][] = [
    ['10MiB/s', 10 * 1024 ** 2],
    ['10 MiB/s', 10 * 1024 ** 2],
    ['500KB/s', 500_000],
    ['500kB', 500_000],
    ['1.5GiB/s', 1.5 * 1024 ** 3],
    ['100Mbit/s', 12_500_000],
    ['16kbit/sec', 2000],
    ['2048', 2048],
    ['2048B/s', 2048],
  ];
  for (const [text, rate] of cases) assert.equal(parseBandwidth(text), rate, text);
});

test('parseBandwidth() rejects what is not a rate, quoting it', () => {
  assert.throws(() => parseBandwidth('fast'), (e: Error) => e instanceof SyntaxError && /"fast" is not a rate/.test(e.message));
  assert.throws(() => parseBandwidth('10 furlongs/s'), (e: Error) => e instanceof SyntaxError && /unknown unit "furlongs"/.test(e.message));
  assert.throws(() => parseBandwidth('-5MiB/s'), SyntaxError);
  assert.throws(() => parseBandwidth('10MiB/min'), SyntaxError);
  assert.throws(() => parseBandwidth('100B/s'), (e: Error) => e instanceof RangeError && /below the least limit/.test(e.message));
  assert.throws(() => parseBandwidth('0'), RangeError);
});

test('formatBandwidth() prints the largest binary unit', () => {
  assert.equal(formatBandwidth(10 * 1024 ** 2), '10 MiB/s');
  assert.equal(formatBandwidth(1536), '1.5 KiB/s');
  assert.equal(formatBandwidth(100), '100 B/s');
});

function fakeClock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('TokenBucket: the burst goes at once, then each send waits for its bytes at the rate', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(1000, 500, clock); // 1000 B/s, 500 B burst
  assert.equal(bucket.take(500), 0);
  assert.equal(bucket.take(100), 100); // 100 B in debt: 100 ms
  assert.equal(bucket.take(100), 200); // queued behind the first
  clock.advance(200);
  assert.equal(bucket.take(0), 0, 'debt paid back after its time');
});

test('TokenBucket: a send larger than the bucket is allowed into debt, paid back afterwards', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(100 * 1024, 16 * 1024, clock);
  const wait = bucket.take(1024 * 1024);
  assert.equal(wait, ((1024 - 16) * 1024 * 1000) / (100 * 1024));
});

test('TokenBucket: an idle period earns at most the burst', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(1000, 500, clock);
  bucket.take(500);
  clock.advance(60_000);
  assert.equal(bucket.take(500), 0);
  assert.equal(bucket.take(1), 1, 'no more than the burst was saved up');
});

test('TokenBucket: senders that wait what they are told average the rate over a long window', () => {
  const clock = fakeClock();
  const rate = 64 * 1024;
  const bucket = new TokenBucket(rate, 8 * 1024, clock);
  const start = clock.now();
  let sent = 0;
  for (let i = 0; i < 2000; i++) {
    const size = 1 + ((i * 7919) % 40_000); // uneven sizes, some larger than the burst
    clock.advance(bucket.take(size));
    sent += size;
  }
  const seconds = (clock.now() - start) / 1000;
  const measured = sent / seconds;
  assert.ok(measured <= rate * 1.01 && measured >= rate * 0.95, `${measured} B/s against ${rate}`);
});

test('TokenBucket rejects a rate or burst that is not positive', () => {
  const clock = fakeClock();
  assert.throws(() => new TokenBucket(0, 10, clock), RangeError);
  assert.throws(() => new TokenBucket(Number.NaN, 10, clock), RangeError);
  assert.throws(() => new TokenBucket(10, 0, clock), RangeError);
});

test('Throttle: streams use pieces of about 100 ms of traffic; a send waits on the injected timers', async () => {
  const clock = fakeClock();
  const deadlines: number[] = [];
  const timers = { at: (deadline: number, fn: () => void) => (deadlines.push(deadline), setImmediate(fn), () => {}) };
  const throttle = new Throttle(1024 * 1024, clock, timers);
  assert.equal(throttle.chunk, Math.floor((1024 * 1024) / 10));
  assert.equal(new Throttle(2048, clock, timers).chunk, 16 * 1024);
  assert.equal(new Throttle(1024 ** 3, clock, timers).chunk, 1024 * 1024);
  await throttle.pass(1024); // within the burst: no timer
  assert.deepEqual(deadlines, []);
  await throttle.pass(1024 * 1024);
  assert.equal(deadlines.length, 1);
  assert.ok(Math.abs(deadlines[0]! - (clock.now() + ((1024 * 1024 + 1024 - 1024 * 1024 / 10) * 1000) / (1024 * 1024))) < 1e-6);
});
