/** The packet sender's socket use, against a recording double of the addon (no root). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGratuitousArp } from '../../src/net/arp.js';
import { buildUnsolicitedNeighbourAdvert } from '../../src/net/neighbour-advert.js';
import { openPacketSender } from '../../src/net/packet-socket.js';
import { buildSockaddrLl } from '../../src/net/sockaddr.js';
import { createFakeNative, type FakeSocket } from './fake-native.js';

const MAC = '02:99:00:00:00:01';

test('the sender is a protocol-0 packet socket bound to the interface, so it never queues input', () => {
  const fake = createFakeNative();
  const c = fake.binding.constants as Record<string, number>;
  openPacketSender(7, fake.binding);
  const [socket] = fake.sockets as [FakeSocket];
  assert.deepEqual([socket.domain, socket.type, socket.protocol], [c.AF_PACKET, c.SOCK_RAW, 0]);
  assert.deepEqual(socket.bound, [buildSockaddrLl({ ifindex: 7 })]);
});

test('each frame is sent as is, addressed with its own ethertype and destination MAC', () => {
  const fake = createFakeNative();
  const sender = openPacketSender(7, fake.binding);
  const arp = buildGratuitousArp(MAC, '10.99.0.100');
  const na = buildUnsolicitedNeighbourAdvert({ mac: MAC, address: 'fd00:99::100' });
  assert.equal(sender.send(arp), true);
  assert.equal(sender.send(na), true);
  assert.deepEqual(fake.sockets[0]?.sent, [
    { data: arp, address: buildSockaddrLl({ ifindex: 7, protocol: 0x0806, hardwareAddress: 'ff:ff:ff:ff:ff:ff' }) },
    { data: na, address: buildSockaddrLl({ ifindex: 7, protocol: 0x86dd, hardwareAddress: '33:33:00:00:00:01' }) },
  ]);
});

test('a kernel drop is false; a frame without an Ethernet header is a TypeError; close is idempotent', () => {
  const fake = createFakeNative();
  const sender = openPacketSender(7, fake.binding);
  (fake.sockets[0] as FakeSocket).sendResult = -1;
  assert.equal(sender.send(buildGratuitousArp(MAC, '10.99.0.100')), false);
  assert.throws(() => sender.send(Buffer.alloc(13)), TypeError);
  sender.close();
  sender.close();
  assert.equal(fake.sockets[0]?.closed, true);
  assert.throws(() => openPacketSender(0, fake.binding), RangeError);
});
