import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SkippedRecord } from '../../src/pcap/capture-record.js';
import { readClassicPcap } from '../../src/pcap/classic-pcap.js';
import { readCapture } from '../../src/pcap/read-capture.js';
import { classicPcap, type ClassicPacket } from './capture-builder.js';

const first = Buffer.from('first frame');
const second = Buffer.from('second');

function packets(fractionFirst: number, fractionSecond: number): ClassicPacket[] {
  return [
    { seconds: 1_700_000_000, fraction: fractionFirst, data: first },
    { seconds: 1_700_000_001, fraction: fractionSecond, data: second, originalLength: 1500 },
  ];
}

for (const order of ['le', 'be'] as const) {
  test(`classic pcap, ${order} microseconds: times, link type, data and original length`, () => {
    const records = [...readCapture(classicPcap(packets(250_000, 999_999), { order, linkType: 113 }))];
    assert.equal(records.length, 2);
    assert.equal(records[0]?.time, 1_700_000_000.25);
    assert.ok(Math.abs((records[1]?.time ?? 0) - 1_700_000_001.999999) < 1e-6);
    assert.deepEqual(
      records.map((r) => [r.linkType, r.data.toString(), r.originalLength]),
      [
        [113, 'first frame', first.length],
        [113, 'second', 1500],
      ],
    );
  });

  test(`classic pcap, ${order} nanoseconds: the sub-second field counts nanoseconds`, () => {
    const records = [...readCapture(classicPcap(packets(500_000_000, 123_456_789), { order, nanoseconds: true }))];
    assert.equal(records[0]?.time, 1_700_000_000.5);
    // Float seconds near 1.7e9 resolve to ~0.2 µs; the nanosecond part must not be read as µs.
    assert.ok(Math.abs((records[1]?.time ?? 0) - 1_700_000_001.123456789) < 1e-6);
  });
}

test('classic pcap: the link type is the low 16 bits (upper bits carry FCS information)', () => {
  const file = classicPcap(packets(0, 0), { linkType: 0x1000_0000 | 1 });
  assert.deepEqual([...readCapture(file)].map((r) => r.linkType), [1, 1]);
});

test('classic pcap: an empty capture (header only) yields nothing', () => {
  assert.deepEqual([...readCapture(classicPcap([]))], []);
});

test('classic pcap: a truncated last record is a SyntaxError naming its offset, after the good records', () => {
  const whole = classicPcap(packets(0, 0));
  const cut = whole.subarray(0, whole.length - 2);
  const seen: string[] = [];
  assert.throws(
    () => {
      for (const record of readCapture(cut)) seen.push(record.data.toString());
    },
    (err: unknown) => err instanceof SyntaxError && /Truncated pcap record at offset 51: captured length 6/.test(err.message),
  );
  assert.deepEqual(seen, ['first frame']);
});

test('classic pcap: a cut record header is a SyntaxError naming its offset', () => {
  const whole = classicPcap(packets(0, 0));
  const cut = whole.subarray(0, 24 + 16 + first.length + 5);
  assert.throws(() => [...readCapture(cut)], { name: 'SyntaxError', message: /record header at offset 51: 5 of 16 bytes/ });
});

test('classic pcap: bad file headers are SyntaxErrors', () => {
  assert.throws(() => [...readClassicPcap(Buffer.from('GIF89a-not-a-capture'))], {
    name: 'SyntaxError',
    message: /unknown magic number at offset 0/,
  });
  assert.throws(() => [...readCapture(classicPcap([]).subarray(0, 20))], {
    name: 'SyntaxError',
    message: /Truncated pcap file header: 20 of 24 bytes/,
  });
  assert.throws(() => [...readCapture(classicPcap([], { version: [1, 0] }))], {
    name: 'SyntaxError',
    message: /Unsupported pcap version 1\.0 at offset 4/,
  });
  assert.throws(() => [...readCapture(Buffer.alloc(0))], { name: 'SyntaxError', message: /starts with nothing/ });
  assert.throws(() => [...readCapture(Buffer.from('{"json":1}'))], { name: 'SyntaxError', message: /starts with 7b226a73/ });
});

test('classic pcap: a record with an impossible sub-second value is skipped and reported', () => {
  const file = classicPcap([
    { seconds: 1, fraction: 1_000_000, data: first },
    { seconds: 2, fraction: 0, data: second },
  ]);
  const skipped: SkippedRecord[] = [];
  const records = [...readCapture(file, { onSkipped: (s) => skipped.push(s) })];
  assert.deepEqual(records.map((r) => r.data.toString()), ['second']);
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0]?.offset, 24);
  assert.match(skipped[0]?.reason ?? '', /1000000/);
});
