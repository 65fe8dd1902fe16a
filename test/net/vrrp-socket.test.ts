/**
 * The VRRP transport's socket set-up and decoding, against a recording double of the addon (no
 * root). What actually crosses a wire is in vrrp-transport.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReceivedMessage } from '../../src/net/native.js';
import { buildSockaddrIn, buildSockaddrIn6 } from '../../src/net/sockaddr.js';
import { openVrrpTransport, type VrrpPacketInfo } from '../../src/net/vrrp-socket.js';
import { createFakeNative, optionValue, type FakeSocket } from './fake-native.js';
import { formatIp } from '../../src/vrrp/ip-address.js';

const text = (bytes: Buffer, family: 4 | 6): string => formatIp(bytes, 0, family);

const PAYLOAD = Buffer.from('3101640100640000' + '0a630064', 'hex');

function v4Options(extra: Record<string, unknown> = {}) {
  return { family: 4 as const, interfaceName: 'eth0', ifindex: 3, sourceAddress: '10.99.0.1', ...extra };
}

function v6Options(extra: Record<string, unknown> = {}) {
  return { family: 6 as const, interfaceName: 'eth0', ifindex: 3, sourceAddress: 'fe80::1', ...extra };
}

/** An IPv4 datagram as a raw socket returns it: 20-byte header, then the payload. */
function ipv4Datagram(source: number[], destination: number[], ttl: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header[8] = ttl;
  header[9] = 112;
  header.set(source, 12);
  header.set(destination, 16);
  return Buffer.concat([header, payload]);
}

function inPktinfoControl(ifindex: number): Buffer {
  const control = Buffer.alloc(32);
  control.writeBigUInt64LE(28n, 0);
  control.writeInt32LE(0, 8); // IPPROTO_IP
  control.writeInt32LE(8, 12); // IP_PKTINFO
  control.writeInt32LE(ifindex, 16);
  return control;
}

function in6Control(destination: string, ifindex: number, hopLimit: number): Buffer {
  const control = Buffer.alloc(64);
  control.writeBigUInt64LE(36n, 0);
  control.writeInt32LE(41, 8); // IPPROTO_IPV6
  control.writeInt32LE(50, 12); // IPV6_PKTINFO
  buildSockaddrIn6(destination).copy(control, 16, 8, 24);
  control.writeUInt32LE(ifindex, 32);
  control.writeBigUInt64LE(20n, 40);
  control.writeInt32LE(41, 48);
  control.writeInt32LE(52, 52); // IPV6_HOPLIMIT
  control.writeInt32LE(hopLimit, 56);
  return control;
}

function collect(socket: FakeSocket | undefined, batch: ReceivedMessage[], transport: ReturnType<typeof openVrrpTransport>) {
  // Addresses arrive as bytes; shown as text here so the expectations read.
  const got: { payload: string; info: Omit<VrrpPacketInfo, 'source' | 'destination'> & { source: string; destination: string } }[] = [];
  transport.onPacket((payload, info) =>
    got.push({ payload: payload.toString('hex'), info: { ...info, source: text(info.source, info.family), destination: text(info.destination, info.family) } }),
  );
  assert.ok(socket?.deliver(batch));
  return got;
}

test('IPv4: a joined, device-bound receiver and a source-bound sender with VRRP TTL and no loop', () => {
  const fake = createFakeNative();
  const c = fake.binding.constants as Record<string, number>;
  openVrrpTransport(v4Options(), fake.binding);
  const [receiver, sender] = fake.sockets as [FakeSocket, FakeSocket];
  for (const socket of [receiver, sender]) {
    assert.deepEqual([socket.domain, socket.type, socket.protocol], [c.AF_INET, c.SOCK_RAW, 112]);
    assert.deepEqual(optionValue(socket, c.SOL_SOCKET, c.SO_BINDTODEVICE), Buffer.from('eth0\0'));
  }
  // ip_mreqn: group 224.0.0.18, any local address, ifindex 3.
  assert.equal((optionValue(receiver, c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP) as Buffer).toString('hex'), 'e0000012' + '00000000' + '03000000');
  assert.equal(optionValue(receiver, c.IPPROTO_IP, c.IP_PKTINFO), 1);
  assert.deepEqual(receiver.bound, [], 'the receiver is not bound to an address, which would filter by destination');
  assert.deepEqual(sender.bound, [buildSockaddrIn('10.99.0.1')]);
  assert.equal((optionValue(sender, c.IPPROTO_IP, c.IP_MULTICAST_IF) as Buffer).toString('hex'), '00000000' + '0a630001' + '03000000');
  assert.equal(optionValue(sender, c.IPPROTO_IP, c.IP_MULTICAST_TTL), 255);
  assert.equal(optionValue(sender, c.IPPROTO_IP, c.IP_MULTICAST_LOOP), 0);
  assert.equal(optionValue(sender, c.IPPROTO_IP, c.IP_TTL), 255);
});

test('IPv6: the sender binds the link-local source with its scope and uses hop limit 255', () => {
  const fake = createFakeNative();
  const c = fake.binding.constants as Record<string, number>;
  openVrrpTransport(v6Options({ unicastTtl: 2 }), fake.binding);
  const [receiver, sender] = fake.sockets as [FakeSocket, FakeSocket];
  assert.equal(receiver.domain, c.AF_INET6);
  assert.equal((optionValue(receiver, c.IPPROTO_IPV6, c.IPV6_JOIN_GROUP) as Buffer).toString('hex'), 'ff020000000000000000000000000012' + '03000000');
  assert.equal(optionValue(receiver, c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO), 1);
  assert.equal(optionValue(receiver, c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT), 1);
  assert.equal(optionValue(receiver, c.IPPROTO_IPV6, c.IPV6_CHECKSUM), undefined, 'the caller computes the VRRP checksum');
  assert.deepEqual(sender.bound, [buildSockaddrIn6('fe80::1', 3)]);
  assert.equal(optionValue(sender, c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF), 3);
  assert.equal(optionValue(sender, c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS), 255);
  assert.equal(optionValue(sender, c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP), 0);
  assert.equal(optionValue(sender, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS), 2);
});

test('send goes to the group, to each unicast peer, or to an explicit destination', () => {
  const fake = createFakeNative();
  const multicast = openVrrpTransport(v6Options(), fake.binding);
  assert.equal(multicast.send(PAYLOAD), true);
  assert.deepEqual(fake.sockets[1]?.sent, [{ data: PAYLOAD, address: buildSockaddrIn6('ff02::12', 3) }]);

  const unicast = openVrrpTransport(v4Options({ unicastPeers: ['10.99.0.2', '10.99.0.3'] }), fake.binding);
  const sender = fake.sockets[3] as FakeSocket;
  assert.equal(unicast.send(PAYLOAD), true);
  assert.deepEqual(sender.sent.map((s) => s.address), [buildSockaddrIn('10.99.0.2'), buildSockaddrIn('10.99.0.3')]);
  assert.equal(unicast.send(PAYLOAD, '10.99.0.9'), true);
  assert.deepEqual(sender.sent[2]?.address, buildSockaddrIn('10.99.0.9'));
});

test('send reports a kernel drop as false', () => {
  const fake = createFakeNative();
  const transport = openVrrpTransport(v4Options({ unicastPeers: ['10.99.0.2', '10.99.0.3'] }), fake.binding);
  (fake.sockets[1] as FakeSocket).sendResult = -1;
  assert.equal(transport.send(PAYLOAD), false);
  assert.equal(fake.sockets[1]?.sent.length, 2, 'one full queue does not skip the other peers');
});

test('IPv4 receive: the IP header is parsed and stripped; own, short and non-IPv4 datagrams are dropped', () => {
  const fake = createFakeNative();
  const transport = openVrrpTransport(v4Options(), fake.binding);
  const control = inPktinfoControl(3);
  const good = ipv4Datagram([10, 99, 0, 2], [224, 0, 0, 18], 255, PAYLOAD);
  // Trailing bytes past the IP total length (Ethernet padding) are not payload.
  const padded = Buffer.concat([ipv4Datagram([10, 99, 0, 4], [224, 0, 0, 18], 64, PAYLOAD), Buffer.alloc(6)]);
  const own = ipv4Datagram([10, 99, 0, 1], [224, 0, 0, 18], 255, PAYLOAD);
  const short = good.subarray(0, 19);
  const ipv6ish = Buffer.from(good);
  ipv6ish[0] = 0x65;
  const badIhl = Buffer.from(good);
  badIhl[0] = 0x4f; // 60-byte header, longer than the datagram
  const batch = [good, padded, own, short, ipv6ish, badIhl].map((data) => ({ data, address: buildSockaddrIn('0.0.0.0'), control }));
  const got = collect(fake.sockets[0], batch, transport);
  assert.deepEqual(got, [
    { payload: PAYLOAD.toString('hex'), info: { family: 4, source: '10.99.0.2', destination: '224.0.0.18', ttl: 255, ifindex: 3 } },
    { payload: PAYLOAD.toString('hex'), info: { family: 4, source: '10.99.0.4', destination: '224.0.0.18', ttl: 64, ifindex: 3 } },
    // From our own address: passed on so validation counts it as 'own-address'.
    { payload: PAYLOAD.toString('hex'), info: { family: 4, source: '10.99.0.1', destination: '224.0.0.18', ttl: 255, ifindex: 3 } },
  ]);
});

test('IPv6 receive: source from the sender address, destination and hop limit from ancillary data', () => {
  const fake = createFakeNative();
  const transport = openVrrpTransport(v6Options(), fake.binding);
  const batch = [
    { data: PAYLOAD, address: buildSockaddrIn6('fe80::2', 3), control: in6Control('ff02::12', 3, 255) },
    // Our own source: passed on, for validation to count as 'own-address'.
    { data: PAYLOAD, address: buildSockaddrIn6('fe80::1', 3), control: in6Control('ff02::12', 3, 255) },
    // Without the hop limit the packet cannot be validated: dropped.
    { data: PAYLOAD, address: buildSockaddrIn6('fe80::3', 3), control: Buffer.alloc(0) },
  ];
  assert.deepEqual(collect(fake.sockets[0], batch, transport), [
    { payload: PAYLOAD.toString('hex'), info: { family: 6, source: 'fe80::2', destination: 'ff02::12', ttl: 255, ifindex: 3 } },
    { payload: PAYLOAD.toString('hex'), info: { family: 6, source: 'fe80::1', destination: 'ff02::12', ttl: 255, ifindex: 3 } },
  ]);
});

test('an exception from the packet callback goes to onError and the rest of the batch is still delivered', () => {
  const fake = createFakeNative();
  const transport = openVrrpTransport(v4Options(), fake.binding);
  const errors: Error[] = [];
  transport.onError((error) => errors.push(error));
  const sources: string[] = [];
  transport.onPacket((_payload, info) => {
    sources.push(text(info.source, info.family));
    if (sources.length === 1) throw new Error('handler bug');
  });
  const control = inPktinfoControl(3);
  fake.sockets[0]?.deliver([2, 3].map((host) => ({ data: ipv4Datagram([10, 99, 0, host], [224, 0, 0, 18], 255, PAYLOAD), address: Buffer.alloc(0), control })));
  assert.deepEqual(sources, ['10.99.0.2', '10.99.0.3']);
  assert.deepEqual(errors.map((e) => e.message), ['handler bug']);
});

test('close() is idempotent, closes both sockets and stops deliveries', () => {
  const fake = createFakeNative();
  const transport = openVrrpTransport(v4Options(), fake.binding);
  let delivered = 0;
  transport.onPacket(() => delivered++);
  transport.close();
  transport.close();
  assert.ok(fake.sockets.every((s) => s.closed));
  assert.equal(fake.sockets[0]?.deliver([]), false);
  assert.throws(() => transport.send(PAYLOAD), { code: 'ERR_SOCKET_CLOSED' });
  assert.throws(() => transport.onPacket(() => {}), { code: 'ERR_SOCKET_CLOSED' });
  assert.equal(delivered, 0);
});

test('if the kernel refuses part of the set-up, every socket opened so far is closed', () => {
  const fake = createFakeNative();
  const Original = fake.binding.Socket;
  fake.binding.Socket = class extends Original {
    override bind(): void {
      throw Object.assign(new Error('bind failed: Cannot assign requested address (EADDRNOTAVAIL)'), { code: 'EADDRNOTAVAIL' });
    }
  };
  assert.throws(() => openVrrpTransport(v4Options(), fake.binding), { code: 'EADDRNOTAVAIL' });
  assert.equal(fake.sockets.length, 2);
  assert.ok(fake.sockets.every((s) => s.closed));
});

test('options are checked by meaning before any socket is opened', () => {
  const fake = createFakeNative();
  assert.throws(() => openVrrpTransport({ ...v4Options(), family: 5 as 4 }, fake.binding), RangeError);
  assert.throws(() => openVrrpTransport(v4Options({ ifindex: 0 }), fake.binding), RangeError);
  assert.throws(() => openVrrpTransport(v4Options({ sourceAddress: 'fe80::1' }), fake.binding), SyntaxError);
  assert.throws(() => openVrrpTransport(v4Options({ unicastPeers: ['10.0.0.300'] }), fake.binding), SyntaxError);
  assert.throws(() => openVrrpTransport(v4Options({ unicastTtl: 0 }), fake.binding), RangeError);
  assert.throws(() => openVrrpTransport(v4Options({ interfaceName: 'a-very-long-interface-name' }), fake.binding), RangeError);
  assert.equal(fake.sockets.length, 0);
});

test("each send carries its instance's unicast TTL: one socket option per change, none while it stays", () => {
  const fake = createFakeNative();
  const c = fake.binding.constants as Record<string, number>;
  const transport = openVrrpTransport(v4Options(), fake.binding);
  const sender = fake.sockets[1] as FakeSocket;
  const ttlOptions = () => sender.options.filter((o) => o.level === c.IPPROTO_IP && o.name === c.IP_TTL).map((o) => o.value);
  assert.deepEqual(ttlOptions(), [255], 'opened with the default');
  transport.send(PAYLOAD, '10.99.0.3', 7);
  transport.send(PAYLOAD, '10.99.0.3', 7);
  assert.deepEqual(ttlOptions(), [255, 7], 'set once for two sends');
  transport.send(PAYLOAD, '10.99.0.4');
  assert.deepEqual(ttlOptions(), [255, 7, 255], 'a send without one goes back to the default');
  assert.equal(sender.sent.length, 3);
  assert.throws(() => transport.send(PAYLOAD, '10.99.0.3', 0), RangeError);
});
