import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_PACKET,
  buildSockaddrIn,
  buildSockaddrIn6,
  buildSockaddrLl,
  buildSockaddrNl,
  formatMac,
  networkOrder16,
  parseMac,
  parseSockaddr,
} from '../../src/net/sockaddr.js';

// These tests run on little-endian Linux (x86_64, aarch64): host-order fields are written LE.

test('sockaddr_in is family, port in network order, then the address', () => {
  assert.deepEqual(
    [...buildSockaddrIn('10.99.0.1', 0x1234)],
    [2, 0, 0x12, 0x34, 10, 99, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  );
});

test('sockaddr_in6 carries the scope id in host order after the address', () => {
  const bytes = buildSockaddrIn6('fe80::99:ff:fe00:1', 22);
  assert.equal(bytes.length, 28);
  assert.equal(bytes.readUInt16LE(0), 10);
  assert.equal(bytes.toString('hex', 8, 24), 'fe80000000000000009900fffe000001');
  assert.equal(bytes.readUInt32LE(24), 22);
});

test('sockaddr_ll has the ethertype in network order and the ifindex in host order', () => {
  const bytes = buildSockaddrLl({ ifindex: 7, protocol: 0x0806, hardwareAddress: 'ff:ff:ff:ff:ff:ff' });
  assert.equal(bytes.toString('hex'), '1100' + '0806' + '07000000' + '0000' + '00' + '06' + 'ffffffffffff0000');
});

test('sockaddr_nl is family, padding, port id, groups', () => {
  assert.equal(buildSockaddrNl(0, 0x11).toString('hex'), '1000' + '0000' + '00000000' + '11000000');
});

test('parseSockaddr reads back what the builders wrote', () => {
  assert.deepEqual(parseSockaddr(buildSockaddrIn('192.0.2.1', 80)), { family: 'inet', address: '192.0.2.1', port: 80 });
  assert.deepEqual(parseSockaddr(buildSockaddrIn6('fe80::1', 3)), {
    family: 'inet6',
    address: 'fe80::1',
    port: 0,
    flowInfo: 0,
    scopeId: 3,
  });
  assert.deepEqual(parseSockaddr(buildSockaddrLl({ ifindex: 5, protocol: 0x86dd, pkttype: 2, hatype: 1, hardwareAddress: '02:99:00:00:00:01' })), {
    family: 'packet',
    protocol: 0x86dd,
    ifindex: 5,
    hatype: 1,
    pkttype: 2,
    hardwareAddress: Buffer.from('029900000001', 'hex'),
  });
  assert.deepEqual(parseSockaddr(buildSockaddrNl(1234, 1)), { family: 'netlink', pid: 1234, groups: 1 });
});

test('parseSockaddr returns null for short or unknown input instead of throwing', () => {
  assert.equal(parseSockaddr(Buffer.alloc(0)), null);
  assert.equal(parseSockaddr(Buffer.from([2, 0, 0])), null);
  assert.equal(parseSockaddr(Buffer.from([10, 0, 0, 0, 0, 0, 0, 0, 1])), null);
  assert.equal(parseSockaddr(Buffer.from([1, 0, 0, 0])), null); // AF_UNIX
  // A packet address whose halen claims more than is there is cut to what is there.
  const ll = Buffer.from(buildSockaddrLl({ ifindex: 1, hardwareAddress: 'aa:bb:cc:dd:ee:ff' }).subarray(0, 14));
  assert.deepEqual((parseSockaddr(ll) as { hardwareAddress: Buffer }).hardwareAddress, Buffer.from('aabb', 'hex'));
});

test('builders reject bad addresses and out-of-range numbers by meaning', () => {
  assert.throws(() => buildSockaddrIn('10.99.0.256'), SyntaxError);
  assert.throws(() => buildSockaddrIn('fe80::1'), SyntaxError);
  assert.throws(() => buildSockaddrIn6('10.0.0.1'), SyntaxError);
  assert.throws(() => buildSockaddrIn('10.0.0.1', 65536), RangeError);
  assert.throws(() => buildSockaddrIn6('::1', -1), RangeError);
  assert.throws(() => buildSockaddrLl({ ifindex: 1.5 }), RangeError);
  assert.throws(() => buildSockaddrLl({ ifindex: 1, hardwareAddress: Buffer.alloc(9) }), RangeError);
  assert.throws(() => buildSockaddrNl(-1), RangeError);
});

test('MAC text round-trips and bad text is a SyntaxError', () => {
  assert.equal(formatMac(parseMac('02:99:AB:00:00:01')), '02:99:ab:00:00:01');
  assert.equal(formatMac(parseMac('02-99-ab-00-00-01')), '02:99:ab:00:00:01');
  assert.throws(() => parseMac('02:99:ab:00:00'), SyntaxError);
  assert.throws(() => parseMac('02:99:ab:00:00:0g'), SyntaxError);
  assert.throws(() => formatMac(Buffer.alloc(5)), RangeError);
});

test('networkOrder16 is htons', () => {
  assert.equal(networkOrder16(0x0003), 0x0300);
  assert.equal(networkOrder16(0x86dd), 0xdd86);
});

test('the Linux family numbers used here agree with the addon', () => {
  const { constants } = loadNative();
  assert.deepEqual(
    { AF_INET, AF_INET6, AF_NETLINK, AF_PACKET },
    { AF_INET: constants.AF_INET, AF_INET6: constants.AF_INET6, AF_NETLINK: constants.AF_NETLINK, AF_PACKET: constants.AF_PACKET },
  );
});
