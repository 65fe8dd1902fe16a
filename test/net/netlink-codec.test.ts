import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import * as K from '../../src/net/netlink/constants.js';
import { decodeAttributes, encodeAttributes, stringAttribute, u32Attribute, bytesAttribute } from '../../src/net/netlink/attributes.js';
import { alignNetlink, decodeDoneErrno, decodeErrorPayload, decodeMessages, encodeMessage } from '../../src/net/netlink/message.js';
import { addressToBytes, bytesToAddress, macToString } from '../../src/net/netlink/ip-address.js';
import { decodeLink, encodeLink, encodeLinkByNameRequest, type LinkInfo } from '../../src/net/netlink/link.js';
import {
  decodeAddress,
  decodeIfAddrMsg,
  encodeAddress,
  encodeAddressRequest,
  scopeName,
  scopeNumber,
} from '../../src/net/netlink/address.js';
import { NetlinkError, errnoName } from '../../src/net/netlink/netlink-error.js';
import * as captured from './fixtures/netlink-captured.js';

const hostIsLittleEndian = endianness() === 'LE';

function capturedMessages(datagrams: readonly string[]) {
  return datagrams.flatMap((hex) => {
    const decoded = decodeMessages(Buffer.from(hex, 'hex'));
    assert.equal(decoded.malformed, undefined);
    return decoded.messages;
  });
}

test('message header round-trips and pads to 4 bytes', () => {
  const payload = Buffer.from([1, 2, 3, 4, 5]);
  const buf = encodeMessage({ type: K.RTM_GETLINK, flags: K.NLM_F_REQUEST | K.NLM_F_DUMP, seq: 0xfffffffe, pid: 77 }, payload);
  assert.equal(buf.length, 24);
  const { messages, malformed } = decodeMessages(buf);
  assert.equal(malformed, undefined);
  assert.equal(messages.length, 1);
  const [m] = messages;
  assert.deepEqual(
    { type: m?.type, flags: m?.flags, seq: m?.seq, pid: m?.pid, payload: m?.payload },
    { type: K.RTM_GETLINK, flags: 0x301, seq: 0xfffffffe, pid: 77, payload },
  );
  assert.equal(alignNetlink(21), 24);
  assert.equal(alignNetlink(24), 24);
});

test('several messages in one datagram are split at their aligned lengths', () => {
  const a = encodeMessage({ type: 20, flags: 2, seq: 1, pid: 0 }, Buffer.from([9, 9, 9]));
  const b = encodeMessage({ type: K.NLMSG_DONE, flags: 2, seq: 1, pid: 0 }, Buffer.alloc(4));
  const { messages } = decodeMessages(Buffer.concat([a, b]));
  assert.deepEqual(messages.map((m) => [m.type, m.payload.length]), [[20, 3], [K.NLMSG_DONE, 4]]);
});

test('bad lengths stop decoding with a reason instead of throwing', () => {
  const good = encodeMessage({ type: 20, flags: 0, seq: 1, pid: 0 }, Buffer.alloc(4));
  const tooLong = Buffer.from(good);
  tooLong.writeUInt32LE(400, 0);
  if (!hostIsLittleEndian) tooLong.writeUInt32BE(400, 0);
  assert.match(decodeMessages(tooLong).malformed ?? '', /length 400/);
  const tooShort = Buffer.from(good);
  tooShort.fill(0, 0, 4);
  assert.match(decodeMessages(tooShort).malformed ?? '', /length 0/);
  const withTrailer = decodeMessages(Buffer.concat([good, Buffer.alloc(6)]));
  assert.equal(withTrailer.messages.length, 1);
  assert.match(withTrailer.malformed ?? '', /Trailing 6 bytes/);
  assert.deepEqual(decodeMessages(Buffer.alloc(0)), { messages: [] });
});

test('random bytes never make the decoders throw', () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const buf = Buffer.from(Array.from({ length: random() % 120 }, random));
    const { messages } = decodeMessages(buf);
    for (const m of messages) {
      decodeLink(m.payload);
      decodeAddress(m.payload);
      decodeErrorPayload(m);
      decodeDoneErrno(m);
    }
    decodeLink(buf);
    decodeAddress(buf);
    decodeAttributes(buf);
  }
});

test('attributes round-trip with 4-byte alignment and ignore flag bits in the type', () => {
  const encoded = encodeAttributes([stringAttribute(K.IFLA_IFNAME, 'veth0'), u32Attribute(K.IFLA_MTU, 9000), bytesAttribute(K.IFLA_ADDRESS, Buffer.from([2, 0, 0, 0, 0, 1]))]);
  // 'veth0\0' = 6 bytes + 4 header = 10 -> 12; u32 = 8; 6-byte MAC = 10 -> 12.
  assert.equal(encoded.length, 32);
  const attrs = decodeAttributes(encoded);
  assert.equal(attrs.string(K.IFLA_IFNAME), 'veth0');
  assert.equal(attrs.u32(K.IFLA_MTU), 9000);
  assert.deepEqual(attrs.bytes(K.IFLA_ADDRESS), Buffer.from([2, 0, 0, 0, 0, 1]));
  assert.equal(attrs.u32(K.IFLA_OPERSTATE), undefined);

  const nested = Buffer.from(encoded);
  nested.writeUInt16LE(K.IFLA_MTU | 0x8000, 14);
  if (!hostIsLittleEndian) nested.writeUInt16BE(K.IFLA_MTU | 0x8000, 14);
  assert.equal(decodeAttributes(nested).u32(K.IFLA_MTU), 9000);
});

test('an attribute whose length overruns the buffer ends decoding but keeps earlier ones', () => {
  const encoded = encodeAttributes([u32Attribute(1, 5), u32Attribute(2, 6)]);
  const cut = encoded.subarray(0, 12);
  const attrs = decodeAttributes(cut);
  assert.equal(attrs.u32(1), 5);
  assert.equal(attrs.has(2), false);
});

test('IPv4 and IPv6 text converts to bytes and back in canonical form', () => {
  assert.deepEqual(addressToBytes('10.99.0.1', 4), Buffer.from([10, 99, 0, 1]));
  const cases: Array<[string, string]> = [
    ['fd00:99::1', 'fd00:99::1'],
    ['FD00:0099:0000:0000:0000:0000:0000:0001', 'fd00:99::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['64:ff9b::10.1.2.3', '64:ff9b::a01:203'],
    ['1:2:3:4:5:6:10.1.2.3', '1:2:3:4:5:6:a01:203'],
  ];
  for (const [input, canonical] of cases) {
    const bytes = addressToBytes(input, 6);
    assert.equal(bytes.length, 16, input);
    assert.equal(bytesToAddress(bytes), canonical, input);
  }
  assert.throws(() => addressToBytes('10.99.0.256', 4), SyntaxError);
  assert.throws(() => addressToBytes('fd00::1', 4), SyntaxError);
  assert.throws(() => addressToBytes('10.0.0.1', 6), SyntaxError);
  assert.throws(() => addressToBytes('fe80::1%eth0', 6), SyntaxError);
  assert.equal(bytesToAddress(Buffer.alloc(5)), undefined);
  assert.equal(macToString(Buffer.from([2, 0x99, 0, 0xab, 0, 1])), '02:99:00:ab:00:01');
});

test('a link encodes and decodes to the same LinkInfo', () => {
  const link: LinkInfo = {
    index: 7,
    name: 'eth1',
    mac: '02:99:00:00:00:07',
    up: true,
    running: true,
    carrier: true,
    operState: 'up',
    mtu: 1500,
    flags: K.IFF_UP | K.IFF_RUNNING | K.IFF_LOWER_UP | K.IFF_BROADCAST | K.IFF_MULTICAST,
    type: 1,
  };
  assert.deepEqual(decodeLink(encodeLink(link)), link);
  const down = decodeLink(encodeLink({ ...link, flags: K.IFF_BROADCAST, operState: 'down' }));
  assert.deepEqual([down?.up, down?.running, down?.carrier, down?.operState], [false, false, false, 'down']);
  const noCarrier = decodeLink(encodeLink({ ...link, flags: K.IFF_UP, operState: 'lowerlayerdown' }));
  assert.deepEqual([noCarrier?.up, noCarrier?.carrier], [true, false]);
});

test('a link request by name carries IFLA_IFNAME and refuses impossible names', () => {
  const payload = encodeLinkByNameRequest('veth0');
  assert.equal(decodeAttributes(payload.subarray(K.IFINFOMSG_LENGTH)).string(K.IFLA_IFNAME), 'veth0');
  assert.throws(() => encodeLinkByNameRequest(''), RangeError);
  assert.throws(() => encodeLinkByNameRequest('a-name-of-16-chr'), RangeError);
});

test('an IPv4 add request carries local, address, label, broadcast and scope', () => {
  const payload = encodeAddressRequest({
    ifindex: 3,
    family: 4,
    address: '10.99.0.10',
    prefixLength: 24,
    label: 'veth0:vip',
    broadcast: '10.99.0.255',
    scope: 'link',
  });
  assert.deepEqual(decodeIfAddrMsg(payload), { family: K.AF_INET, prefixLength: 24, flags: 0, scope: K.RT_SCOPE_LINK, index: 3 });
  const attrs = decodeAttributes(payload.subarray(K.IFADDRMSG_LENGTH));
  assert.deepEqual(attrs.bytes(K.IFA_LOCAL), Buffer.from([10, 99, 0, 10]));
  assert.deepEqual(attrs.bytes(K.IFA_ADDRESS), Buffer.from([10, 99, 0, 10]));
  assert.equal(attrs.string(K.IFA_LABEL), 'veth0:vip');
  assert.deepEqual(attrs.bytes(K.IFA_BROADCAST), Buffer.from([10, 99, 0, 255]));
  assert.equal(attrs.has(K.IFA_FLAGS), false);
});

test('an IPv6 add request with nodad sets IFA_F_NODAD and leaves out the label', () => {
  const payload = encodeAddressRequest({ ifindex: 3, family: 6, address: 'fd00:99::10', prefixLength: 64, nodad: true, label: 'x' });
  const header = decodeIfAddrMsg(payload);
  assert.equal(header?.family, K.AF_INET6);
  assert.equal(header?.flags, K.IFA_F_NODAD);
  const attrs = decodeAttributes(payload.subarray(K.IFADDRMSG_LENGTH));
  assert.equal(attrs.u32(K.IFA_FLAGS), K.IFA_F_NODAD);
  assert.equal(attrs.has(K.IFA_LOCAL), false);
  assert.equal(attrs.has(K.IFA_LABEL), false);
  assert.equal(bytesToAddress(attrs.bytes(K.IFA_ADDRESS) ?? Buffer.alloc(0)), 'fd00:99::10');
});

test('malformed address specs are refused before sending, by kind of mistake', () => {
  const base = { ifindex: 3, family: 4 as const, address: '10.99.0.10', prefixLength: 24 };
  assert.throws(() => encodeAddressRequest({ ...base, prefixLength: 33 }), RangeError);
  assert.throws(() => encodeAddressRequest({ ...base, family: 6, prefixLength: 129, address: '::1' }), RangeError);
  assert.throws(() => encodeAddressRequest({ ...base, ifindex: 0 }), RangeError);
  assert.throws(() => encodeAddressRequest({ ...base, address: 'ten' }), SyntaxError);
  assert.throws(() => encodeAddressRequest({ ...base, label: 'sixteen-bytes-xx' }), RangeError);
  assert.throws(() => encodeAddressRequest({ ...base, family: 6, address: 'fd00::1', broadcast: '10.0.0.255' }), TypeError);
  assert.throws(() => encodeAddressRequest({ ...base, family: 5 as unknown as 4 }), TypeError);
  assert.throws(() => encodeAddressRequest({ ...base, scope: 'galaxy' as unknown as 'global' }), TypeError);
});

test('scope names map to RT_SCOPE numbers both ways', () => {
  assert.equal(scopeNumber('global'), 0);
  assert.equal(scopeNumber('host'), 254);
  assert.equal(scopeNumber(200), 200);
  assert.throws(() => scopeNumber(256), RangeError);
  assert.equal(scopeName(253), 'link');
  assert.equal(scopeName(17), undefined);
});

test('an address encodes and decodes to the same AddressInfo, with a peer when local differs', () => {
  const v4 = encodeAddress({ index: 4, family: 4, address: '10.99.0.1', prefixLength: 24, label: 'veth0:a', broadcast: '10.99.0.255', scope: 0, rawFlags: K.IFA_F_PERMANENT | K.IFA_F_SECONDARY });
  const info = decodeAddress(v4);
  assert.equal(info?.address, '10.99.0.1');
  assert.equal(info?.peer, undefined);
  assert.equal(info?.label, 'veth0:a');
  assert.equal(info?.broadcast, '10.99.0.255');
  assert.deepEqual([info?.flags.secondary, info?.flags.permanent, info?.flags.tentative], [true, true, false]);
  const ptp = decodeAddress(encodeAddress({ index: 4, family: 4, address: '10.99.0.1', peer: '10.99.0.2', prefixLength: 32, scope: 0, rawFlags: 0 }));
  assert.deepEqual([ptp?.address, ptp?.peer], ['10.99.0.1', '10.99.0.2']);
  const v6 = decodeAddress(encodeAddress({ index: 4, family: 6, address: 'fd00:99::1', prefixLength: 64, scope: 0, rawFlags: K.IFA_F_TENTATIVE | 0x100 }));
  assert.deepEqual([v6?.address, v6?.family, v6?.flags.tentative, v6?.rawFlags], ['fd00:99::1', 6, true, K.IFA_F_TENTATIVE | 0x100]);
});

test('errno numbers map to their names in errors', () => {
  assert.equal(errnoName(17), 'EEXIST');
  assert.equal(errnoName(99), 'EADDRNOTAVAIL');
  assert.equal(errnoName(19), 'ENODEV');
  assert.equal(errnoName(100000), 'E100000');
  const err = new NetlinkError(17, 'RTM_NEWADDR 10.0.0.1/32', { kernelMessage: 'exists' });
  assert.equal(err.code, 'EEXIST');
  assert.match(err.message, /RTM_NEWADDR 10\.0\.0\.1\/32 failed: EEXIST \(exists\)/);
});

// Captured bytes are little-endian; on a big-endian host they would not decode as host order.
const capturedOptions = { skip: hostIsLittleEndian ? false : 'captured kernel bytes are little-endian' };

test('a captured link dump decodes to lo, veth1 and veth0 with their MACs and states', capturedOptions, () => {
  const messages = capturedMessages(captured.linkDump);
  assert.equal(messages.at(-1)?.type, K.NLMSG_DONE);
  assert.ok(messages.every((m) => m.seq === 1));
  const links = messages.filter((m) => m.type === K.RTM_NEWLINK).map((m) => decodeLink(m.payload));
  assert.deepEqual(
    links.map((l) => [l?.index, l?.name, l?.mac, l?.up, l?.carrier, l?.operState, l?.mtu]),
    [
      [1, 'lo', '00:00:00:00:00:00', true, true, 'unknown', 65536],
      [2, 'veth1', '02:99:00:00:00:02', true, true, 'up', 1500],
      [3, 'veth0', '02:99:00:00:00:01', true, true, 'up', 1500],
    ],
  );
});

test('a captured address dump decodes labels, broadcast, secondary and nodad flags', capturedOptions, () => {
  const messages = capturedMessages(captured.addressDump);
  const addresses = messages.filter((m) => m.type === K.RTM_NEWADDR).map((m) => decodeAddress(m.payload));
  const vip = addresses.find((a) => a?.address === '10.99.0.1');
  assert.deepEqual([vip?.index, vip?.prefixLength, vip?.label, vip?.broadcast, vip?.flags.secondary], [3, 24, 'veth0:vip', '10.99.0.255', false]);
  const secondary = addresses.find((a) => a?.address === '10.99.0.2');
  assert.deepEqual([secondary?.label, secondary?.flags.secondary], ['veth0', true]);
  const v6 = addresses.find((a) => a?.address === 'fd00:99::1');
  assert.deepEqual([v6?.family, v6?.prefixLength, v6?.flags.nodad, v6?.flags.tentative, v6?.scope], [6, 64, true, false, 0]);
  const linkLocal = addresses.find((a) => a?.address === 'fe80::99:ff:fe00:1');
  assert.deepEqual([linkLocal?.scope, scopeName(linkLocal?.scope ?? -1)], [253, 'link']);
});

test('captured acknowledgements decode to errno 17, 99, 0 and an extended-ack message', capturedOptions, () => {
  const [eexist] = capturedMessages(captured.ackEexist);
  const [notavail] = capturedMessages(captured.ackEaddrnotavail);
  const [ok] = capturedMessages(captured.ackOk);
  const [invalid] = capturedMessages(captured.ackExtendedInvalid);
  assert.ok(eexist && notavail && ok && invalid);
  assert.equal(decodeErrorPayload(eexist)?.errno, 17);
  assert.deepEqual(decodeErrorPayload(eexist)?.request, { type: K.RTM_NEWADDR, flags: 0x605, seq: 3, pid: 0 });
  assert.equal(decodeErrorPayload(notavail)?.errno, 99);
  assert.equal(decodeErrorPayload(ok)?.errno, 0);
  assert.equal(decodeErrorPayload(invalid)?.errno, 22);
  assert.equal(decodeErrorPayload(invalid)?.kernelMessage, 'ipv4: Invalid prefix length');
});

test('captured notifications decode to link-down and address-removed changes', capturedOptions, () => {
  const messages = capturedMessages(captured.events);
  const summary = messages.map((m) => {
    if (m.type === K.RTM_NEWLINK) {
      const l = decodeLink(m.payload);
      return `link ${l?.name} up=${l?.up} carrier=${l?.carrier}`;
    }
    const a = decodeAddress(m.payload);
    return `${m.type === K.RTM_NEWADDR ? 'new' : 'del'} ${a?.address}`;
  });
  assert.ok(summary.includes('link veth1 up=false carrier=false'), summary.join('; '));
  assert.ok(summary.includes('link veth0 up=true carrier=false'), summary.join('; '));
  assert.ok(summary.includes('del fd00:99::1'), summary.join('; '));
});
