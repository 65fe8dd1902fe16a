import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipPacketOf } from '../../src/pcap/captured-packet.js';
import type { IpPacketResult } from '../../src/pcap/ip-packet.js';
import { ethernet, ipv4, ipv6, linuxSll, linuxSll2 } from './capture-builder.js';

const vrrp = Buffer.from([0x31, 0x01, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00, 10, 99, 0, 100]);

function ok(result: IpPacketResult) {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.packet;
}

function reason(result: IpPacketResult): string {
  assert.equal(result.ok, false);
  return result.ok ? '' : result.reason;
}

test('Ethernet IPv4: addresses, TTL, protocol; Ethernet padding is not payload', () => {
  const frame = ethernet(0x0800, Buffer.concat([ipv4(vrrp, { ttl: 254, source: '192.0.2.7' }), Buffer.alloc(6)]));
  const packet = ok(ipPacketOf({ linkType: 1, data: frame }));
  assert.equal(packet.family, 4);
  assert.equal(packet.source, '192.0.2.7');
  assert.equal(packet.destination, '224.0.0.18');
  assert.equal(packet.ttl, 254);
  assert.equal(packet.protocol, 112);
  assert.deepEqual(packet.payload, vrrp);
});

test('Ethernet with 802.1Q and stacked 802.1ad tags', () => {
  const single = ethernet(0x0800, ipv4(vrrp), [{ tpid: 0x8100, vid: 10 }]);
  assert.deepEqual(ok(ipPacketOf({ linkType: 1, data: single })).payload, vrrp);
  const stacked = ethernet(0x86dd, ipv6(vrrp), [
    { tpid: 0x88a8, vid: 100 },
    { tpid: 0x8100, vid: 10 },
  ]);
  const packet = ok(ipPacketOf({ linkType: 1, data: stacked }));
  assert.equal(packet.family, 6);
  assert.deepEqual(packet.payload, vrrp);
  assert.match(reason(ipPacketOf({ linkType: 1, data: single.subarray(0, 16) })), /VLAN tag truncated/);
});

test('Linux cooked captures SLL and SLL2, raw IP link types', () => {
  assert.equal(ok(ipPacketOf({ linkType: 113, data: linuxSll(0x0800, ipv4(vrrp)) })).source, '10.99.0.1');
  assert.equal(ok(ipPacketOf({ linkType: 276, data: linuxSll2(0x86dd, ipv6(vrrp)) })).source, 'fe80::1');
  assert.equal(ok(ipPacketOf({ linkType: 101, data: ipv4(vrrp) })).family, 4);
  assert.equal(ok(ipPacketOf({ linkType: 101, data: ipv6(vrrp) })).family, 6);
  assert.equal(ok(ipPacketOf({ linkType: 228, data: ipv4(vrrp) })).family, 4);
  assert.equal(ok(ipPacketOf({ linkType: 229, data: ipv6(vrrp) })).family, 6);
});

test('frames without a usable IP packet say why', () => {
  assert.match(reason(ipPacketOf({ linkType: 1, data: ethernet(0x0806, Buffer.alloc(28)) })), /not IP \(EtherType 0x0806\)/);
  assert.match(reason(ipPacketOf({ linkType: 1, data: ethernet(0x0040, Buffer.alloc(28)) })), /802\.3 length field 64/);
  assert.match(reason(ipPacketOf({ linkType: 1, data: Buffer.alloc(10) })), /Ethernet header truncated \(10 of 14 bytes\)/);
  assert.match(reason(ipPacketOf({ linkType: 113, data: Buffer.alloc(15) })), /SLL\) header truncated/);
  assert.match(reason(ipPacketOf({ linkType: 147, data: ipv4(vrrp) })), /unsupported link type 147/);
  assert.match(reason(ipPacketOf({ linkType: 101, data: Buffer.from([0x50]) })), /IP version 5/);
  assert.match(reason(ipPacketOf({ linkType: 101, data: Buffer.alloc(0) })), /empty raw IP frame/);
  assert.match(reason(ipPacketOf({ linkType: 228, data: ipv6(vrrp) })), /IP version 6 where the link layer says IPv4/);
});

test('IPv4: options are skipped; bad lengths, truncation and fragments are reported', () => {
  const routerAlert = Buffer.from([0x94, 0x04, 0x00, 0x00]);
  assert.deepEqual(ok(ipPacketOf({ linkType: 228, data: ipv4(vrrp, { options: routerAlert }) })).payload, vrrp);

  const packet = ipv4(vrrp);
  assert.match(reason(ipPacketOf({ linkType: 228, data: packet.subarray(0, 19) })), /IPv4 header truncated \(19 bytes\)/);
  assert.match(reason(ipPacketOf({ linkType: 228, data: packet.subarray(0, 30) })), /total length 32, 30 bytes captured/);
  const shortHeader = Buffer.from(packet);
  shortHeader[0] = 0x44;
  assert.match(reason(ipPacketOf({ linkType: 228, data: shortHeader })), /header length 16 is below 20/);
  assert.match(reason(ipPacketOf({ linkType: 228, data: ipv4(vrrp, { totalLength: 12 }) })), /total length 12 is below/);
  assert.match(reason(ipPacketOf({ linkType: 228, data: ipv4(vrrp, { fragment: 0x2000 }) })), /IPv4 fragment/);
  assert.match(reason(ipPacketOf({ linkType: 228, data: ipv4(vrrp, { fragment: 0x0010 }) })), /IPv4 fragment/);
  // Don't Fragment alone is a whole packet.
  assert.equal(ipPacketOf({ linkType: 228, data: ipv4(vrrp, { fragment: 0x4000 }) }).ok, true);
});

test('IPv6: hop limit, RFC 5952 addresses, extension headers walked to the upper layer', () => {
  const hopByHop = Buffer.from([0, 0, 5, 2, 0, 0, 1, 0]); // router alert + PadN
  const destination = Buffer.from([0, 1, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // 16 bytes
  const atomicFragment = Buffer.from([0, 0, 0, 0, 0, 0, 0, 42]);
  const authentication = Buffer.from([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]); // (1 + 2) * 4 = 12 bytes
  const data = ipv6(vrrp, {
    source: 'fe80:0:0:0:0:0:0:1',
    destination: 'ff02:0:0:0:0:0:0:12',
    hopLimit: 1,
    extensions: [
      { type: 0, bytes: hopByHop },
      { type: 60, bytes: destination },
      { type: 44, bytes: atomicFragment },
      { type: 51, bytes: authentication },
    ],
  });
  const packet = ok(ipPacketOf({ linkType: 229, data }));
  assert.equal(packet.source, 'fe80::1');
  assert.equal(packet.destination, 'ff02::12');
  assert.equal(packet.ttl, 1);
  assert.equal(packet.protocol, 112);
  assert.deepEqual(packet.payload, vrrp);
});

test('IPv6: fragments, truncation and broken extension headers are reported', () => {
  const fragment = Buffer.from([0, 0, 0, 1, 0, 0, 0, 42]); // M flag set
  assert.match(
    reason(ipPacketOf({ linkType: 229, data: ipv6(vrrp, { extensions: [{ type: 44, bytes: fragment }] }) })),
    /IPv6 fragment/,
  );
  const packet = ipv6(vrrp);
  assert.match(reason(ipPacketOf({ linkType: 229, data: packet.subarray(0, 39) })), /IPv6 header truncated/);
  assert.match(reason(ipPacketOf({ linkType: 229, data: packet.subarray(0, 45) })), /payload length 12, 5 bytes captured/);
  // A hop-by-hop header claiming 16 bytes where only 8 + payload remain.
  const longHeader = Buffer.from([0, 5, 0, 0, 0, 0, 0, 0]);
  const data = ipv6(Buffer.alloc(0), { extensions: [{ type: 0, bytes: longHeader }] });
  assert.match(reason(ipPacketOf({ linkType: 229, data })), /extension header 0 truncated/);
  // ESP cannot be walked: it is the upper layer as far as the parser is concerned.
  assert.equal(ok(ipPacketOf({ linkType: 229, data: ipv6(vrrp, { protocol: 50 }) })).protocol, 50);
});

test('skips say what kind they are, and the protocol when the IP header told it', () => {
  const kind = (result: IpPacketResult) => (result.ok ? 'ok' : [result.kind, result.protocol]);
  assert.deepEqual(kind(ipPacketOf({ linkType: 1, data: ethernet(0x0806, Buffer.alloc(28)) })), ['not-ip', undefined]);
  assert.deepEqual(kind(ipPacketOf({ linkType: 147, data: ipv4(vrrp) })), ['unsupported-link', undefined]);
  assert.deepEqual(kind(ipPacketOf({ linkType: 228, data: ipv4(Buffer.alloc(100), { protocol: 6 }).subarray(0, 60) })), ['malformed', 6]);
  assert.deepEqual(kind(ipPacketOf({ linkType: 228, data: ipv4(vrrp, { fragment: 0x2000 }) })), ['fragment', 112]);
  assert.deepEqual(kind(ipPacketOf({ linkType: 229, data: ipv6(Buffer.alloc(100), { protocol: 17 }).subarray(0, 60) })), ['malformed', 17]);
  const hopByHop = { type: 0, bytes: Buffer.alloc(8) };
  const cutBehindExtension = ipv6(Buffer.alloc(100), { protocol: 17, extensions: [hopByHop] }).subarray(0, 60);
  assert.deepEqual(kind(ipPacketOf({ linkType: 229, data: cutBehindExtension })), ['malformed', undefined]);
  const fragment = { type: 44, bytes: Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]) };
  assert.deepEqual(kind(ipPacketOf({ linkType: 229, data: ipv6(vrrp, { extensions: [fragment] }) })), ['fragment', 112]);
  assert.deepEqual(kind(ipPacketOf({ linkType: 228, data: ipv4(vrrp).subarray(0, 10) })), ['malformed', undefined]);
});
