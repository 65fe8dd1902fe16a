import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { test } from 'node:test';
import { decodeEchoReply, encodeEchoRequest, internetChecksum } from '../../src/lab/icmp-echo.js';
import { completeTransportChecksum } from '../../src/lab/l4-checksum.js';
import { checksumNotReady } from '../../src/lab/relay-process.js';
import { ipv6Bytes, sockaddrIn, sockaddrIn6, sockaddrLl } from '../../src/lab/sockaddr.js';

/** What a receiver checks: the one's complement sum over pseudo-header and segment is all ones. */
function receiverAccepts(pseudo: number[], segment: Buffer): boolean {
  let sum = pseudo.reduce((a, b) => a + b, 0);
  for (let i = 0; i < segment.length; i += 2) sum += (segment[i] as number) * 256 + (segment[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}

function words(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push(bytes.readUInt16BE(i));
  return out;
}

function ipv4UdpFrame(payload: Buffer): Buffer {
  const frame = Buffer.alloc(14 + 20 + 8 + payload.length);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(20 + 8 + payload.length, 16);
  frame[22] = 64;
  frame[23] = 17;
  Buffer.from([10, 99, 1, 3]).copy(frame, 26);
  Buffer.from([10, 99, 1, 100]).copy(frame, 30);
  frame.writeUInt16BE(40000, 34);
  frame.writeUInt16BE(7000, 36);
  frame.writeUInt16BE(8 + payload.length, 38);
  frame.writeUInt16BE(0x1234, 40); // what offload leaves: not the real checksum
  payload.copy(frame, 42);
  return frame;
}

test('an IPv4 UDP checksum left to offload is completed', () => {
  const frame = ipv4UdpFrame(Buffer.from('hello, lab!'));
  completeTransportChecksum(frame);
  const length = 8 + 11;
  assert.ok(receiverAccepts([...words(frame.subarray(26, 34)), 17, length], frame.subarray(34)));
});

test('an IPv6 TCP checksum left to offload is completed', () => {
  const tcp = Buffer.alloc(20 + 5);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(80, 2);
  tcp[12] = 0x50;
  tcp.write('hello', 20);
  const frame = Buffer.alloc(14 + 40 + tcp.length);
  frame.writeUInt16BE(0x86dd, 12);
  frame[14] = 0x60;
  frame.writeUInt16BE(tcp.length, 18);
  frame[20] = 6;
  frame[21] = 64;
  ipv6Bytes('fd00:99:1::3').copy(frame, 22);
  ipv6Bytes('fd00:99:1::100').copy(frame, 38);
  tcp.copy(frame, 54);
  completeTransportChecksum(frame);
  assert.ok(receiverAccepts([...words(frame.subarray(22, 54)), 6, tcp.length], frame.subarray(54)));
});

test('frames that are not TCP or UDP, fragments and runts are left alone', () => {
  const arp = Buffer.alloc(60, 7);
  arp.writeUInt16BE(0x0806, 12);
  const before = Buffer.from(arp);
  completeTransportChecksum(arp);
  assert.deepEqual(arp, before);
  const fragment = ipv4UdpFrame(Buffer.from('x'));
  fragment.writeUInt16BE(0x2000, 20); // more fragments
  const fragmentBefore = Buffer.from(fragment);
  completeTransportChecksum(fragment);
  assert.deepEqual(fragment, fragmentBefore);
  assert.doesNotThrow(() => completeTransportChecksum(Buffer.alloc(20)));
});

test('an echo request carries a valid checksum and its identifiers', () => {
  const request = encodeEchoRequest(4, 0xbeef, 70_000);
  assert.equal(request[0], 8);
  assert.equal(internetChecksum(request), 0);
  assert.equal(request.readUInt16BE(4), 0xbeef);
  assert.equal(request.readUInt16BE(6), 70_000 & 0xffff);
  assert.equal(encodeEchoRequest(6, 1, 2)[0], 128);
});

test('echo replies are read from raw socket data, anything else is ignored', () => {
  const reply = Buffer.alloc(20 + 8);
  reply[0] = 0x45;
  reply.writeUInt16BE(0x1234, 24);
  reply.writeUInt16BE(77, 26);
  assert.deepEqual(decodeEchoReply(4, reply), { identifier: 0x1234, sequence: 77 });
  const request = Buffer.from(reply);
  request[20] = 8;
  assert.equal(decodeEchoReply(4, request), undefined);
  assert.equal(decodeEchoReply(4, reply.subarray(0, 25)), undefined);
  const v6 = Buffer.from([129, 0, 0, 0, 0, 5, 0, 9]);
  assert.deepEqual(decodeEchoReply(6, v6), { identifier: 5, sequence: 9 });
  assert.equal(decodeEchoReply(6, Buffer.alloc(3)), undefined);
});

test('IPv6 text becomes the 16 address bytes', () => {
  assert.equal(ipv6Bytes('fd00:99:1a::100').toString('hex'), 'fd000099001a00000000000000000100');
  assert.equal(ipv6Bytes('::').toString('hex'), '0'.repeat(32));
  assert.equal(ipv6Bytes('fe80::1').toString('hex'), 'fe80' + '0'.repeat(27) + '1');
  assert.throws(() => ipv6Bytes('10.0.0.1'), TypeError);
});

test('sockaddr structures have the kernel layout', () => {
  const le = endianness() === 'LE';
  const sin = sockaddrIn(2, '10.99.1.100');
  assert.equal(sin.length, 16);
  assert.equal(le ? sin.readUInt16LE(0) : sin.readUInt16BE(0), 2);
  assert.deepEqual([...sin.subarray(4, 8)], [10, 99, 1, 100]);
  const sin6 = sockaddrIn6(10, 'fe80::1', 3);
  assert.equal(sin6.length, 28);
  assert.equal(le ? sin6.readUInt32LE(24) : sin6.readUInt32BE(24), 3);
  const sll = sockaddrLl(17, 0x0003, 9);
  assert.equal(sll.length, 20);
  assert.equal(sll.readUInt16BE(2), 3);
  assert.equal(le ? sll.readInt32LE(4) : sll.readInt32BE(4), 9);
});

test('the auxdata control message tells when the checksum is not filled in', () => {
  const SOL_PACKET = 263;
  const PACKET_AUXDATA = 8;
  const control = (status: number, level = SOL_PACKET): Buffer => {
    const buffer = Buffer.alloc(16 + 20 + 4);
    const le = endianness() === 'LE';
    if (le) {
      buffer.writeBigUInt64LE(36n, 0);
      buffer.writeInt32LE(level, 8);
      buffer.writeInt32LE(PACKET_AUXDATA, 12);
      buffer.writeUInt32LE(status, 16);
    } else {
      buffer.writeBigUInt64BE(36n, 0);
      buffer.writeInt32BE(level, 8);
      buffer.writeInt32BE(PACKET_AUXDATA, 12);
      buffer.writeUInt32BE(status, 16);
    }
    return buffer;
  };
  assert.equal(checksumNotReady(control(1 | 8), SOL_PACKET, PACKET_AUXDATA), true);
  assert.equal(checksumNotReady(control(1 | 0x80), SOL_PACKET, PACKET_AUXDATA), false);
  assert.equal(checksumNotReady(control(8, 0), SOL_PACKET, PACKET_AUXDATA), false);
  assert.equal(checksumNotReady(Buffer.alloc(0), SOL_PACKET, PACKET_AUXDATA), false);
});
