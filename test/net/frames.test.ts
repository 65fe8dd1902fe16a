import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGratuitousArp, GRATUITOUS_ARP_LENGTH, parseArpClaim } from '../../src/net/arp.js';
import { buildUnsolicitedNeighbourAdvert, NEIGHBOUR_ADVERT_LENGTH, parseNeighbourAdvertClaim } from '../../src/net/neighbour-advert.js';

const MAC = '02:99:00:00:00:01';

test('gratuitous ARP: broadcast request with sender = target = VIP, as keepalived sends', () => {
  const frame = buildGratuitousArp(MAC, '10.99.0.100');
  assert.equal(frame.length, GRATUITOUS_ARP_LENGTH);
  assert.equal(
    frame.toString('hex'),
    'ffffffffffff' + '029900000001' + '0806' + // Ethernet
      '0001' + '0800' + '06' + '04' + '0001' + // Ethernet/IPv4, request
      '029900000001' + '0a630064' + // sender
      'ffffffffffff' + '0a630064', // target
  );
});

test('gratuitous ARP rejects what is not a MAC or an IPv4 address', () => {
  assert.throws(() => buildGratuitousArp('02:99:00:00:00', '10.0.0.1'), SyntaxError);
  assert.throws(() => buildGratuitousArp(Buffer.alloc(5), '10.0.0.1'), TypeError);
  assert.throws(() => buildGratuitousArp(MAC, 'fd00::1'), SyntaxError);
});

/** RFC 1071 sum over the IPv6 pseudo-header and the ICMPv6 message, written out independently. */
function icmpv6SumOk(frame: Buffer): boolean {
  const icmp = frame.subarray(54);
  const pseudo = Buffer.concat([frame.subarray(22, 54), Buffer.from([0, 0, 0, icmp.length, 0, 0, 0, 58])]);
  const all = Buffer.concat([pseudo, icmp]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

test('parseArpClaim: the sender of a gratuitous ARP, an ARP reply and a padded frame', () => {
  assert.deepEqual(parseArpClaim(buildGratuitousArp(MAC, '10.99.0.100')), { address: '10.99.0.100', mac: MAC });
  const reply = buildGratuitousArp('02:AB:00:00:00:02', '192.168.1.7');
  reply.writeUInt16BE(2, 20);
  assert.deepEqual(parseArpClaim(reply), { address: '192.168.1.7', mac: '02:ab:00:00:00:02' });
  const padded = Buffer.concat([buildGratuitousArp(MAC, '10.0.0.1'), Buffer.alloc(18)]);
  assert.deepEqual(parseArpClaim(padded), { address: '10.0.0.1', mac: MAC });
});

test('parseArpClaim: nothing from a probe (sender 0.0.0.0), a short or non-ARP frame, other hardware, protocol or opcode', () => {
  const arp = () => buildGratuitousArp(MAC, '10.99.0.100');
  const probe = arp();
  probe.writeUInt32BE(0, 28);
  const changed = (offset: number, value: number, bytes: 1 | 2) => {
    const frame = arp();
    if (bytes === 1) frame[offset] = value;
    else frame.writeUInt16BE(value, offset);
    return frame;
  };
  for (const frame of [probe, arp().subarray(0, 41), changed(12, 0x0800, 2), changed(14, 6, 2), changed(16, 0x86dd, 2), changed(18, 8, 1), changed(19, 16, 1), changed(20, 3, 2), Buffer.alloc(0)]) {
    assert.equal(parseArpClaim(frame), undefined, frame.toString('hex'));
  }
});

test('unsolicited NA: all-nodes, hop limit 255, Override set, target and its link-layer address', () => {
  const frame = buildUnsolicitedNeighbourAdvert({ mac: MAC, address: 'fd00:99::100' });
  assert.equal(frame.length, NEIGHBOUR_ADVERT_LENGTH);
  const hex = frame.toString('hex');
  assert.equal(hex.slice(0, 28), '333300000001' + '029900000001' + '86dd');
  assert.equal(hex.slice(28, 44), '60000000' + '0020' + '3a' + 'ff', 'IPv6: payload 32, ICMPv6, hop limit 255');
  assert.equal(hex.slice(44, 76), 'fd000099000000000000000000000100', 'source is the VIP');
  assert.equal(hex.slice(76, 108), 'ff020000000000000000000000000001');
  assert.equal(frame[54], 136);
  assert.equal(frame[55], 0);
  assert.equal(hex.slice(116, 124), '20000000', 'flags: Override only');
  assert.equal(hex.slice(124, 156), 'fd000099000000000000000000000100', 'target is the VIP');
  assert.equal(hex.slice(156), '0201' + '029900000001');
  assert.ok(icmpv6SumOk(frame), 'ICMPv6 checksum verifies');
});

test('unsolicited NA sets the Router flag on request and the checksum still verifies', () => {
  const frame = buildUnsolicitedNeighbourAdvert({ mac: Buffer.from('aabbccddeeff', 'hex'), address: '2001:db8::ffff:1', router: true });
  assert.equal(frame[58], 0xa0);
  assert.ok(icmpv6SumOk(frame));
  // The check above can fail: one changed bit in the target breaks it.
  frame[77] = (frame[77] as number) ^ 1;
  assert.ok(!icmpv6SumOk(frame));
});

test('unsolicited NA rejects what is not an IPv6 address', () => {
  assert.throws(() => buildUnsolicitedNeighbourAdvert({ mac: MAC, address: '10.0.0.1' }), SyntaxError);
  assert.throws(() => buildUnsolicitedNeighbourAdvert({ mac: MAC, address: 'fe80::1%eth0' }), SyntaxError);
});

test('parseNeighbourAdvertClaim: an Override NA claims its target at its option MAC (else the frame source), in RFC 5952 text', () => {
  const na = buildUnsolicitedNeighbourAdvert({ mac: MAC, address: 'FD00:0099:0:0::0100' });
  assert.deepEqual(parseNeighbourAdvertClaim(na), { address: 'fd00:99::100', mac: MAC });
  const noOption = Buffer.from(na.subarray(0, 78));
  noOption.set([0x02, 0xaa, 0, 0, 0, 3], 6);
  assert.deepEqual(parseNeighbourAdvertClaim(noOption), { address: 'fd00:99::100', mac: '02:aa:00:00:00:03' });
});

test('parseNeighbourAdvertClaim: nothing from an NA without Override, off the link (hop limit < 255), another ICMPv6 type, or a short frame', () => {
  const na = () => buildUnsolicitedNeighbourAdvert({ mac: MAC, address: 'fd00:99::100' });
  const changed = (offset: number, value: number) => {
    const frame = na();
    frame[offset] = value;
    return frame;
  };
  for (const frame of [changed(58, 0x40), changed(21, 64), changed(54, 135), changed(55, 1), changed(20, 17), na().subarray(0, 77), buildGratuitousArp(MAC, '10.0.0.1')]) {
    assert.equal(parseNeighbourAdvertClaim(frame), undefined, frame.toString('hex'));
  }
});
