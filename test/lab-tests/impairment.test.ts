import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImpairedDirection, SeededRandom, validateImpairment, type Clock } from '../../src/lab/impairment.js';

/** A clock that only moves when told, running due timers in order. */
class FakeClock implements Clock {
  time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((x, y) => x.at - y.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.time = due.at;
      due.callback();
    }
    this.time = end;
  }
}

function frame(n: number): Buffer {
  return Buffer.from([n & 0xff, n >> 8]);
}

function harness(seed = 1) {
  const clock = new FakeClock();
  const sent: { n: number; at: number }[] = [];
  const direction = new ImpairedDirection(
    new SeededRandom(seed),
    (f) => {
      sent.push({ n: f.readUInt16LE(0), at: clock.now() });
      return true;
    },
    clock,
  );
  return { clock, sent, direction };
}

/** Offers frames 0…count-1 every 5 ms, then lets 100 ms pass; returns when each was offered. */
function offerEvery5Ms(clock: FakeClock, direction: ImpairedDirection, count: number): Map<number, number> {
  const offeredAt = new Map<number, number>();
  for (let n = 0; n < count; n++) {
    offeredAt.set(n, clock.now());
    direction.offer(frame(n));
    clock.advance(5);
  }
  clock.advance(100);
  return offeredAt;
}

test('without impairment frames pass at once and in order', () => {
  const { sent, direction } = harness();
  for (let n = 0; n < 5; n++) direction.offer(frame(n));
  assert.deepEqual(sent.map((s) => s.n), [0, 1, 2, 3, 4]);
  assert.deepEqual(direction.stats, { received: 5, dropped: 0, forwarded: 5, sendErrors: 0 });
});

test('20 % loss drops about a fifth of the frames', () => {
  const { sent, direction } = harness(7);
  direction.configure({ lossPercent: 20 });
  for (let n = 0; n < 10_000; n++) direction.offer(frame(n));
  const rate = direction.stats.dropped / 10_000;
  assert.ok(rate > 0.18 && rate < 0.22, `dropped ${rate}`);
  assert.equal(sent.length + direction.stats.dropped, 10_000);
});

test('the same seed drops the same frames', () => {
  const runs = [harness(99), harness(99), harness(100)];
  for (const run of runs) {
    run.direction.configure({ lossPercent: 50 });
    for (let n = 0; n < 200; n++) run.direction.offer(frame(n));
  }
  const kept = runs.map((run) => run.sent.map((s) => s.n).join());
  assert.equal(kept[0], kept[1]);
  assert.notEqual(kept[0], kept[2]);
});

test('delay holds each frame back by the configured time', () => {
  const { clock, sent, direction } = harness();
  direction.configure({ delayMs: 30 });
  direction.offer(frame(1));
  clock.advance(10);
  direction.offer(frame(2));
  clock.advance(19);
  assert.deepEqual(sent, []);
  clock.advance(1);
  assert.deepEqual(sent, [{ n: 1, at: 30 }]);
  clock.advance(10);
  assert.deepEqual(sent, [{ n: 1, at: 30 }, { n: 2, at: 40 }]);
});

test('jitter varies the delay within its bounds but never reorders frames', () => {
  const { clock, sent, direction } = harness(3);
  direction.configure({ delayMs: 20, jitterMs: 10 });
  const offeredAt = offerEvery5Ms(clock, direction, 500);
  assert.equal(sent.length, 500);
  assert.deepEqual(sent.map((s) => s.n), Array.from({ length: 500 }, (_, n) => n));
  const delays = sent.map((s) => s.at - (offeredAt.get(s.n) as number));
  assert.ok(Math.min(...delays) >= 10, `min delay ${Math.min(...delays)}`);
  assert.ok(new Set(delays.map(Math.round)).size > 5, 'delays vary');
});

test('with reorder, jittered frames overtake each other, each held within delay ± jitter', () => {
  const { clock, sent, direction } = harness(3);
  direction.configure({ delayMs: 50, jitterMs: 20, reorder: true });
  const offeredAt = offerEvery5Ms(clock, direction, 500);
  assert.equal(sent.length, 500);
  const order = sent.map((s) => s.n);
  assert.ok(order.some((n, i) => i > 0 && n < (order[i - 1] as number)), 'some frames overtook others');
  assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: 500 }, (_, n) => n), 'none lost or doubled');
  const delays = sent.map((s) => s.at - (offeredAt.get(s.n) as number));
  assert.ok(Math.min(...delays) >= 30 && Math.max(...delays) <= 70, `delays ${Math.min(...delays)}…${Math.max(...delays)}`);
  assert.ok(sent.every((s, i) => i === 0 || s.at >= (sent[i - 1] as { at: number }).at), 'departures in time order');
});

test('impairment settings are checked', () => {
  assert.deepEqual(validateImpairment({}), { lossPercent: 0, delayMs: 0, jitterMs: 0, reorder: false, dropProtocols: [] });
  assert.throws(() => validateImpairment({ dropProtocols: [256] }), /dropProtocols: '256' is not an IP protocol number/);
  assert.throws(() => validateImpairment({ dropProtocols: 112 as unknown as number[] }), /dropProtocols must be an array/);
  assert.throws(() => validateImpairment({ reorder: 'yes' as unknown as boolean }), /reorder must be true or false, not 'yes'/);
  assert.throws(() => validateImpairment({ lossPercent: 101 }), RangeError);
  assert.throws(() => validateImpairment({ delayMs: -1 }), RangeError);
  assert.throws(() => validateImpairment({ jitterMs: Number.NaN }), TypeError);
  assert.throws(() => validateImpairment({ lossPercent: '5' as unknown as number }), /lossPercent must be a number, not '5'/);
});

test('dropProtocols drops every IPv4 / IPv6 frame of those protocols and passes the rest (ARP, other protocols)', () => {
  const { sent, direction } = harness();
  direction.configure({ dropProtocols: [112] });
  const ipv4 = (protocol: number, n: number) => {
    const f = Buffer.alloc(34);
    f.writeUInt16LE(n, 0);
    f.writeUInt16BE(0x0800, 12);
    f[23] = protocol;
    return f;
  };
  const ipv6 = (next: number, n: number) => {
    const f = Buffer.alloc(54);
    f.writeUInt16LE(n, 0);
    f.writeUInt16BE(0x86dd, 12);
    f[20] = next;
    return f;
  };
  const arp = Buffer.alloc(42);
  arp.writeUInt16LE(5, 0);
  arp.writeUInt16BE(0x0806, 12);
  arp[23] = 112; // an ARP byte that would be the protocol in IPv4: not IP, passes
  for (const f of [ipv4(112, 1), ipv4(1, 2), ipv6(112, 3), ipv6(58, 4), arp]) direction.offer(f);
  assert.deepEqual(sent.map((s) => s.n), [2, 4, 5]);
  assert.equal(direction.stats.dropped, 2);
});
