import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Advert } from '../../src/vrrp/advert.js';
import {
  authDataFromPassword,
  buildAdvert,
  checksumOk,
  decodeAdvert,
  encodeAdvert,
  encodingLength,
  type EncodeContext,
} from '../../src/vrrp/codec.js';
import { internetChecksum, onesComplementSum, pseudoHeaderSum } from '../../src/vrrp/checksum.js';
import { parseIp } from '../../src/vrrp/ip-address.js';

const ip = (text: string): Buffer => parseIp(text).bytes;

const V4: EncodeContext = { source: '10.0.0.1', destination: '224.0.0.18', pseudoHeader: true };
const V6: EncodeContext = { source: 'fe80::1', destination: 'ff02::12', pseudoHeader: true };

/**
 * Adverts sent by keepalived 2.2.7 (Debian), captured with tcpdump in a network namespace:
 * the VRRP payload after the IP header, with the IP source and destination.
 */
const KEEPALIVED = {
  v2Pass: {
    // vrid 51, priority 200, auth_pass "secret12345" (sent as its first 8 bytes), advert_int 1
    hex: '2133c802010184bb0a6307640a6307657365637265743132',
    source: '10.99.7.1',
    destination: '224.0.0.18',
  },
  v3Ipv4: {
    // vrid 52, priority 150, advert_int 0.5 (50 cs)
    hex: '31349601003234dc0a630766',
    source: '10.99.7.1',
    destination: '224.0.0.18',
  },
  v3Ipv6: {
    // vrid 53, priority 100, advert_int 1, a global and a link-local VIP
    hex: '313564020064c967fd000099000700000000000000000100fe800000000000000000009900070100',
    source: 'fe80::7c81:5eff:fe9d:c9ed',
    destination: 'ff02::12',
  },
  v2Ipv6: {
    // "version 2" with an IPv6 VIP (keepalived, not strict mode): no auth data; kernel checksum
    hex: '21375a0100016339fd000099000700000000000000000105',
    source: 'fe80::6407:77ff:feb3:4a0e',
    destination: 'ff02::12',
  },
};

test('internetChecksum() matches sums worked by hand (RFC 1071)', () => {
  // v2 advert: 2101 6401 0101 0000 c0a8 0001 7365 6372 6574 0000
  // sum = 0x282f7 -> fold 0x82f7 + 0x2 = 0x82f9 -> complement 0x7d06
  const v2 = Buffer.from('2101640101010000c0a800017365637265740000', 'hex');
  assert.equal(internetChecksum(v2, 0, v2.length), 0x7d06);
  // Odd length: the last byte is the high half of a zero-padded word.
  assert.equal(onesComplementSum(Buffer.from([0x12, 0x34, 0x56]), 0, 3), 0x1234 + 0x5600);
  // Range and initial sum: only bytes 1..3 count.
  assert.equal(internetChecksum(Buffer.from([0xff, 0x00, 0x01, 0xff]), 1, 3, 0x0002), ~0x0003 & 0xffff);
  // All-zero data checksums to 0xffff.
  assert.equal(internetChecksum(Buffer.alloc(8), 0, 8), 0xffff);
});

test('pseudoHeaderSum() adds addresses, protocol 112 and length (RFC 5798 §5.2.8)', () => {
  // IPv4: 0a00+0001 + e000+0012 + 0070 + 000c = 0xea8f
  assert.equal(pseudoHeaderSum(4, parseIp('10.0.0.1').bytes, parseIp('224.0.0.18').bytes, 12), 0xea8f);
  // IPv6: fe80+0001 + ff02+0012 + 0070 + 0018 = 0x1fe1d (32-bit length and next header words)
  assert.equal(pseudoHeaderSum(6, parseIp('fe80::1').bytes, parseIp('ff02::12').bytes, 24), 0x1fe1d);
  assert.throws(() => pseudoHeaderSum(6, parseIp('10.0.0.1').bytes, parseIp('ff02::12').bytes, 24), TypeError);
  assert.throws(() => pseudoHeaderSum(4, parseIp('10.0.0.1').bytes, parseIp('10.0.0.2').bytes, 70000), RangeError);
});

test('encodeAdvert() writes a v2 advert with its hand-computed checksum', () => {
  const advert = buildAdvert({
    version: 2, family: 4, vrid: 1, priority: 100, intervalMs: 1000, addresses: ['192.168.0.1'], authPass: 'secret',
  });
  const bytes = encodeAdvert(advert, { source: '', destination: '', pseudoHeader: true });
  // v2 ignores the pseudo-header (RFC 3768 §5.3.8), so the addresses may even be empty.
  assert.equal(bytes.toString('hex'), '210164010101' + '7d06' + 'c0a80001' + '7365637265740000');
});

test('encodeAdvert() writes a v3 IPv4 advert with and without the pseudo-header', () => {
  const advert = buildAdvert({ version: 3, family: 4, vrid: 51, priority: 100, intervalMs: 1000, addresses: ['192.168.1.100'] });
  // message words 3133+6401+0064+c0a8+0164 = 0x157a4; + pseudo 0xea8f = 0x24233 -> 0x4235 -> ~ 0xbdca
  assert.equal(encodeAdvert(advert, V4).toString('hex'), '313364010064' + 'bdca' + 'c0a80164');
  // message only: 0x157a4 -> 0x57a5 -> ~ 0xa85a
  assert.equal(encodeAdvert(advert, { ...V4, pseudoHeader: false }).toString('hex'), '313364010064' + 'a85a' + 'c0a80164');
});

test('encodeAdvert() writes a v3 IPv6 advert with the IPv6 pseudo-header', () => {
  const advert = buildAdvert({ version: 3, family: 6, vrid: 51, priority: 100, intervalMs: 1000, addresses: ['fe80::100'] });
  // message 0x19518 + pseudo 0x1fe1d = 0x39335 -> 0x9338 -> ~ 0x6cc7
  const bytes = encodeAdvert(advert, V6);
  assert.equal(bytes.toString('hex'), '313364010064' + '6cc7' + 'fe800000000000000000000000000100');
  assert.equal(checksumOk(bytes, 6, ip(V6.source), ip(V6.destination), true), true);
  // IPv6 always carries the pseudo-header: the IPv4-only opt-out does not change it.
  assert.deepEqual(encodeAdvert(advert, { ...V6, pseudoHeader: false }), bytes);
  // The pseudo-header really is covered: another source breaks the checksum.
  assert.equal(checksumOk(bytes, 6, ip('fe80::2'), ip(V6.destination), true), false);
});

test('decodeAdvert() reads keepalived 2.2.7 adverts and their checksums verify', () => {
  const cases: Array<[keyof typeof KEEPALIVED, 4 | 6, Partial<Advert>]> = [
    ['v2Pass', 4, { version: 2, vrid: 51, priority: 200, count: 2, authType: 1, interval: 1, checksum: 0x84bb,
      addresses: ['10.99.7.100', '10.99.7.101'], authData: authDataFromPassword('secret12345') }],
    ['v3Ipv4', 4, { version: 3, vrid: 52, priority: 150, count: 1, authType: 0, interval: 50, addresses: ['10.99.7.102'] }],
    ['v3Ipv6', 6, { version: 3, vrid: 53, priority: 100, count: 2, interval: 100, addresses: ['fd00:99:7::100', 'fe80::99:7:100'] }],
    ['v2Ipv6', 6, { version: 2, vrid: 55, priority: 90, count: 1, authType: 0, interval: 1, addresses: ['fd00:99:7::105'] }],
  ];
  for (const [name, family, expected] of cases) {
    const packet = KEEPALIVED[name];
    const bytes = Buffer.from(packet.hex, 'hex');
    const [advert, next] = decodeAdvert(bytes, 0, family);
    assert.equal(next, bytes.length, name);
    assert.equal(advert.type, 1, name);
    assert.equal(advert.family, family, name);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(advert[key as keyof Advert], value, `${name}.${key}`);
    assert.equal(checksumOk(bytes, family, ip(packet.source), ip(packet.destination), true), true, name);
    // And we produce the very same bytes from the decoded advert.
    const ctx = { source: packet.source, destination: packet.destination, pseudoHeader: true };
    assert.equal(encodeAdvert(advert, ctx).toString('hex'), packet.hex, name);
  }
});

test('checksumOk() tells the v3 IPv4 checksum forms apart', () => {
  const { hex, source, destination } = KEEPALIVED.v3Ipv4;
  const standard = Buffer.from(hex, 'hex');
  assert.equal(checksumOk(standard, 4, ip(source), ip(destination), true), true);
  assert.equal(checksumOk(standard, 4, ip(source), ip(destination), false), false);
  const [advert] = decodeAdvert(standard, 0, 4);
  const messageOnly = encodeAdvert(advert, { source, destination, pseudoHeader: false });
  assert.equal(checksumOk(messageOnly, 4, ip(source), ip(destination), false), true);
  assert.equal(checksumOk(messageOnly, 4, ip(source), ip(destination), true), false);
  // v2 never has a pseudo-header, whatever the flag says.
  const v2 = Buffer.from(KEEPALIVED.v2Pass.hex, 'hex');
  assert.equal(checksumOk(v2, 4, ip('1.2.3.4'), ip('5.6.7.8'), true), true);
  // Short or with unusable addresses: false, not an exception.
  assert.equal(checksumOk(standard.subarray(0, 7), 4, ip(source), ip(destination), true), false);
  assert.equal(checksumOk(standard, 4, ip('fe80::1'), ip(destination), true), false);
});

test('encode -> decode -> encode gives the same bytes, of encodingLength()', () => {
  const adverts: Array<[Advert, EncodeContext]> = [
    [buildAdvert({ version: 2, family: 4, vrid: 1, priority: 255, intervalMs: 255_000, addresses: ['10.0.0.1'] }), V4],
    [buildAdvert({ version: 2, family: 4, vrid: 255, priority: 0, intervalMs: 1000, addresses: [], authPass: 'pw' }), V4],
    [buildAdvert({ version: 2, family: 6, vrid: 9, priority: 1, intervalMs: 3000, addresses: ['2001:db8::1'] }), V6],
    [buildAdvert({ version: 3, family: 4, vrid: 7, priority: 100, intervalMs: 40_950, addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] }), V4],
    [buildAdvert({ version: 3, family: 4, vrid: 7, priority: 100, intervalMs: 10, addresses: ['10.0.0.1'] }), { ...V4, pseudoHeader: false }],
    [buildAdvert({ version: 3, family: 6, vrid: 200, priority: 254, intervalMs: 100, addresses: ['fe80::1', '::ffff:10.1.1.1', '2001:db8:0:1::'] }), V6],
  ];
  for (const [advert, ctx] of adverts) {
    const first = encodeAdvert(advert, ctx);
    assert.equal(first.length, encodingLength(advert));
    const [decoded, next] = decodeAdvert(first, 0, advert.family);
    assert.equal(next, first.length);
    assert.deepEqual(decoded, { ...advert, checksum: first.readUInt16BE(6) });
    assert.deepEqual(encodeAdvert(decoded, ctx), first);
  }
});

test('encodeAdvert() and decodeAdvert() work at an offset inside a larger buffer', () => {
  const advert = buildAdvert({ version: 3, family: 4, vrid: 5, priority: 100, intervalMs: 1000, addresses: ['10.0.0.9'] });
  const alone = encodeAdvert(advert, V4);
  const buf = Buffer.alloc(40, 0xaa);
  assert.equal(encodeAdvert(advert, V4, buf, 20), buf);
  assert.deepEqual(buf.subarray(20, 20 + alone.length), alone);
  assert.equal(buf[19], 0xaa);
  assert.equal(buf[20 + alone.length], 0xaa);
  const [decoded, next] = decodeAdvert(buf, 20, 4);
  assert.equal(next, 20 + alone.length);
  assert.deepEqual(decoded.addresses, ['10.0.0.9']);
  assert.throws(() => encodeAdvert(advert, V4, buf, 30), RangeError);
});

test('encodeAdvert() can keep a given checksum and count to build bad packets', () => {
  const advert = buildAdvert({ version: 3, family: 4, vrid: 5, priority: 100, intervalMs: 1000, addresses: ['10.0.0.9'] });
  const bytes = encodeAdvert({ ...advert, checksum: 0xbeef, count: 3 }, { ...V4, keepChecksum: true });
  assert.equal(bytes.readUInt16BE(6), 0xbeef);
  assert.equal(bytes[3], 3);
  assert.equal(bytes.length, 12);
});

test('decodeAdvert() throws RangeError when the buffer is shorter than the header says', () => {
  const v2 = Buffer.from(KEEPALIVED.v2Pass.hex, 'hex');
  assert.throws(() => decodeAdvert(v2.subarray(0, 7), 0, 4), RangeError);
  assert.throws(() => decodeAdvert(v2.subarray(0, v2.length - 1), 0, 4), RangeError); // auth data cut
  assert.throws(() => decodeAdvert(v2, 0, 6), RangeError); // two IPv6 addresses do not fit
  assert.throws(() => decodeAdvert(v2, 20, 4), RangeError);
  const v5 = Buffer.from(v2);
  v5[0] = 0x51;
  assert.throws(() => decodeAdvert(v5, 0, 4), /Unsupported VRRP version 5/);
  // Extra bytes after the advert are left for the caller: next offset says where it ended.
  assert.equal(decodeAdvert(Buffer.concat([v2, Buffer.alloc(4)]), 0, 4)[1], v2.length);
});

test('decodeAdvert() ignores the v3 reserved bits (RFC 5798 §5.2.6)', () => {
  const bytes = Buffer.from(KEEPALIVED.v3Ipv4.hex, 'hex');
  bytes[4] = (bytes[4] as number) | 0xf0;
  assert.equal(decodeAdvert(bytes, 0, 4)[0].interval, 50);
});

test('encodeAdvert() rejects adverts it cannot put on the wire', () => {
  const good = buildAdvert({ version: 3, family: 4, vrid: 5, priority: 100, intervalMs: 1000, addresses: ['10.0.0.9'] });
  const bad: Array<[Partial<Advert>, new (...args: never[]) => Error]> = [
    [{ vrid: 256 }, RangeError],
    [{ priority: -1 }, RangeError],
    [{ interval: 4096 }, RangeError],
    [{ type: 16 }, RangeError],
    [{ version: 4 as 3 }, RangeError],
    [{ priority: 1.5 }, TypeError],
    [{ addresses: ['10.0.0.256'] }, SyntaxError],
    [{ addresses: ['fe80::1'] }, SyntaxError],
    [{ authData: Buffer.alloc(8) }, RangeError], // v3 has no auth data
    [{ authType: 1 }, RangeError], // nor an auth type
  ];
  for (const [change, kind] of bad) {
    assert.throws(() => encodeAdvert({ ...good, ...change }, V4), kind, JSON.stringify(change));
  }
  const v2 = buildAdvert({ version: 2, family: 4, vrid: 5, priority: 100, intervalMs: 1000, addresses: [] });
  assert.throws(() => encodeAdvert({ ...v2, interval: 256 }, V4), RangeError);
  assert.throws(() => encodeAdvert({ ...v2, authData: Buffer.alloc(7) }, V4), RangeError);
  assert.throws(() => encodeAdvert(good, { ...V4, source: 'nonsense' }), SyntaxError);
});

test('buildAdvert() converts the interval to the version unit and refuses what does not fit', () => {
  assert.equal(buildAdvert({ version: 2, family: 4, vrid: 1, priority: 1, intervalMs: 3000, addresses: [] }).interval, 3);
  assert.equal(buildAdvert({ version: 3, family: 4, vrid: 1, priority: 1, intervalMs: 250, addresses: [] }).interval, 25);
  assert.throws(() => buildAdvert({ version: 2, family: 4, vrid: 1, priority: 1, intervalMs: 1500, addresses: [] }), RangeError);
  assert.throws(() => buildAdvert({ version: 3, family: 4, vrid: 1, priority: 1, intervalMs: 40_960, addresses: [] }), RangeError);
  assert.throws(() => buildAdvert({ version: 3, family: 4, vrid: 1, priority: 1, intervalMs: 1000, addresses: [], authPass: 'x' }), RangeError);
});

test('authDataFromPassword() takes the first 8 bytes, NUL padded, as keepalived does', () => {
  assert.equal(authDataFromPassword('secret12345').toString('latin1'), 'secret12');
  assert.deepEqual(authDataFromPassword('ab'), Buffer.from([0x61, 0x62, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(authDataFromPassword(''), Buffer.alloc(8));
  // UTF-8 bytes, cut at 8 even inside a character ("é" is c3 a9).
  assert.equal(authDataFromPassword('abcdefgé').toString('hex'), '61626364656667c3');
});
