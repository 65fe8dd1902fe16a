import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaptureRecord, SkippedRecord } from '../../src/pcap/capture-record.js';
import { readCapture } from '../../src/pcap/read-capture.js';
import {
  enhancedPacketBlock,
  interfaceBlock,
  pcapngBlock,
  sectionHeaderBlock,
  simplePacketBlock,
  type ByteOrder,
} from './capture-builder.js';

const frame = Buffer.from('an odd-sized frame!'); // 19 bytes: exercises the 32-bit padding

function read(file: Buffer, skipped: SkippedRecord[] = []): CaptureRecord[] {
  return [...readCapture(file, { onSkipped: (s) => skipped.push(s) })];
}

for (const order of ['le', 'be'] as ByteOrder[]) {
  test(`pcapng ${order}: enhanced packets with the default microsecond resolution`, () => {
    const file = Buffer.concat([
      sectionHeaderBlock(order),
      interfaceBlock(order, 1),
      enhancedPacketBlock(order, 0, 1_700_000_000_250_000n, frame, 1514),
    ]);
    const [record, ...rest] = read(file);
    assert.equal(rest.length, 0);
    assert.equal(record?.time, 1_700_000_000.25);
    assert.equal(record?.linkType, 1);
    assert.deepEqual(record?.data, frame);
    assert.equal(record?.originalLength, 1514);
  });

  test(`pcapng ${order}: if_tsresol in powers of 10 and of 2, if_tsoffset, two interfaces`, () => {
    const file = Buffer.concat([
      sectionHeaderBlock(order),
      interfaceBlock(order, 1, { tsresol: 9 }), // nanoseconds
      interfaceBlock(order, 113, { tsresol: 0x80 | 10, tsoffset: 1_000n }), // 1/1024 s, +1000 s
      enhancedPacketBlock(order, 0, 1_700_000_000_123_456_789n, frame),
      enhancedPacketBlock(order, 1, 3n * 1024n + 512n, frame),
    ]);
    const records = read(file);
    assert.equal(records.length, 2);
    assert.ok(Math.abs((records[0]?.time ?? 0) - 1_700_000_000.123456789) < 1e-6);
    assert.equal(records[0]?.linkType, 1);
    assert.equal(records[1]?.time, 1003.5);
    assert.equal(records[1]?.linkType, 113);
  });
}

test('pcapng: a simple packet block belongs to interface 0, is cut at its snap length and has no time', () => {
  const order = 'le';
  const file = Buffer.concat([
    sectionHeaderBlock(order),
    interfaceBlock(order, 228, { snapLength: 10 }),
    simplePacketBlock(order, frame.subarray(0, 10), frame.length),
  ]);
  const [record] = read(file);
  assert.ok(Number.isNaN(record?.time));
  assert.equal(record?.linkType, 228);
  assert.deepEqual(record?.data, frame.subarray(0, 10));
  assert.equal(record?.originalLength, frame.length);
});

test('pcapng: unknown and non-packet blocks are skipped by their length', () => {
  const order = 'be';
  const file = Buffer.concat([
    sectionHeaderBlock(order),
    pcapngBlock(order, 0x00000004, Buffer.alloc(8)), // name resolution
    interfaceBlock(order, 1),
    pcapngBlock(order, 0x00000005, Buffer.alloc(20)), // interface statistics
    pcapngBlock(order, 0x40000bad, Buffer.from('custom stuff')),
    enhancedPacketBlock(order, 0, 5_000_000n, frame),
  ]);
  const records = read(file);
  assert.deepEqual(records.map((r) => r.time), [5]);
});

test('pcapng: a new section may change the byte order and starts its own interface list', () => {
  const file = Buffer.concat([
    sectionHeaderBlock('le'),
    interfaceBlock('le', 1),
    enhancedPacketBlock('le', 0, 1_000_000n, frame),
    sectionHeaderBlock('be'),
    interfaceBlock('be', 101, { tsresol: 3 }),
    enhancedPacketBlock('be', 0, 2_500n, frame),
  ]);
  const records = read(file);
  assert.deepEqual(records.map((r) => [r.time, r.linkType]), [
    [1, 1],
    [2.5, 101],
  ]);
});

test('pcapng: a packet naming an undescribed interface is skipped and reported with its offset', () => {
  const order = 'le';
  const head = Buffer.concat([sectionHeaderBlock(order), interfaceBlock(order, 1)]);
  const file = Buffer.concat([head, enhancedPacketBlock(order, 3, 0n, frame), enhancedPacketBlock(order, 0, 0n, frame)]);
  const skipped: SkippedRecord[] = [];
  assert.equal(read(file, skipped).length, 1);
  assert.deepEqual(skipped.map((s) => s.offset), [head.length]);
  assert.match(skipped[0]?.reason ?? '', /interface 3/);
});

test('pcapng: a captured length past its block is skipped and reported', () => {
  const order = 'le';
  const head = Buffer.concat([sectionHeaderBlock(order), interfaceBlock(order, 1)]);
  const block = enhancedPacketBlock(order, 0, 0n, frame);
  block.writeUInt32LE(4000, 8 + 12); // captured length field
  const skipped: SkippedRecord[] = [];
  assert.equal(read(Buffer.concat([head, block]), skipped).length, 0);
  assert.match(skipped[0]?.reason ?? '', /captured length 4000/);
});

test('pcapng: broken block structure is a SyntaxError naming the offset, after the packets before it', () => {
  const order = 'le';
  const good = Buffer.concat([sectionHeaderBlock(order), interfaceBlock(order, 1), enhancedPacketBlock(order, 0, 0n, frame)]);
  const next = enhancedPacketBlock(order, 0, 0n, frame);

  const seen: number[] = [];
  const cut = Buffer.concat([good, next.subarray(0, next.length - 4)]);
  assert.throws(
    () => {
      for (const r of readCapture(cut)) seen.push(r.data.length);
    },
    { name: 'SyntaxError', message: new RegExp(`Truncated pcapng block at offset ${good.length}: length ${next.length}`) },
  );
  assert.deepEqual(seen, [frame.length]);

  const mismatched = Buffer.from(next);
  mismatched.writeUInt32LE(next.length + 4, next.length - 4);
  assert.throws(() => [...readCapture(Buffer.concat([good, mismatched]))], {
    name: 'SyntaxError',
    message: new RegExp(`Mismatched pcapng block length at offset ${good.length + next.length - 4}`),
  });

  const odd = Buffer.from(next);
  odd.writeUInt32LE(13, 4);
  assert.throws(() => [...readCapture(Buffer.concat([good, odd]))], {
    name: 'SyntaxError',
    message: new RegExp(`Invalid pcapng block length 13 at offset ${good.length + 4}`),
  });

  assert.throws(() => [...readCapture(Buffer.concat([good, Buffer.alloc(6)]))], {
    name: 'SyntaxError',
    message: new RegExp(`Truncated pcapng block at offset ${good.length}: 6 bytes left`),
  });
});

test('pcapng: bad section headers are SyntaxErrors', () => {
  const badMagic = sectionHeaderBlock('le');
  badMagic.writeUInt32LE(0x11223344, 8);
  assert.throws(() => [...readCapture(badMagic)], { name: 'SyntaxError', message: /byte-order magic 0x44332211 at offset 8/ });
  assert.throws(() => [...readCapture(sectionHeaderBlock('be', [2, 0]))], {
    name: 'SyntaxError',
    message: /Unsupported pcapng version 2\.0 at offset 12/,
  });
  assert.throws(() => [...readCapture(sectionHeaderBlock('le').subarray(0, 10))], {
    name: 'SyntaxError',
    message: /Truncated pcapng section header block at offset 0/,
  });
});

test('pcapng: a malformed interface option is a SyntaxError', () => {
  const order = 'le';
  const idb = interfaceBlock(order, 1, { tsresol: 6 });
  // The tsresol option sits after if_name ("veth0" padded to 8): 8 + 8 + 4 + 8 bytes in.
  const at = 8 + 8 + 4 + 8;
  assert.equal(idb.readUInt16LE(at), 9);
  idb.writeUInt16LE(2, at + 2);
  assert.throws(() => [...readCapture(Buffer.concat([sectionHeaderBlock(order), idb]))], {
    name: 'SyntaxError',
    message: /if_tsresol length 2/,
  });
});
