/**
 * The VRRP transport across a veth pair between two namespaces (root only): what one side sends
 * arrives on the other with the IP-level facts VRRP validation depends on.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createVethLab, isRoot, type LabSide, type VethLab } from './veth-lab.js';

const ROOT_REASON = 'needs root: creates network namespaces and raw sockets';
/** A VRRPv3-looking payload; the transport does not look inside, the sender numbers the copies. */
const PAYLOAD = '3101640100640000' + '0a630064' + '00000000';

interface Received {
  reason: string;
  received: number;
  batches: number;
  packets: { payload: string; handledAt: number; info: { family: number; source: string; destination: string; ttl: number; ifindex: number; receivedAt?: number } }[];
}

/** The packet's info without its kernel receive time, which must come before the handler ran, by less than a second. */
function withoutReceiveTime(packet: Received['packets'][number]): Omit<Received['packets'][number]['info'], 'receivedAt'> {
  const { receivedAt, ...info } = packet.info;
  assert.equal(typeof receivedAt, 'number', 'the kernel receive time (SO_TIMESTAMPNS) is reported');
  const age = packet.handledAt - (receivedAt as number);
  assert.ok(age >= 0 && age < 1000, `received ${age} ms before the handler ran`);
  return info;
}

let lab: VethLab | undefined;

before(async () => {
  if (isRoot()) lab = await createVethLab('vrrp');
});

after(() => lab?.destroy());

function transportArgs(side: LabSide, family: 4 | 6, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    family,
    interfaceName: side.ifname,
    ifindex: side.ifindex,
    sourceAddress: family === 4 ? side.ipv4 : side.linkLocal,
    ...extra,
  };
}

async function exchange(
  l: VethLab,
  family: 4 | 6,
  count: number,
  send: Record<string, unknown> = {},
  receive: Record<string, unknown> = {},
): Promise<{ received: Received; sent: { sent: number; dropped: number } }> {
  const receiver = l.start(l.b, 'vrrp-receive', transportArgs(l.b, family, { count, timeoutMs: 15_000, ...receive }));
  await receiver.ready;
  const sent = (await l.run(l.a, 'vrrp-send', transportArgs(l.a, family, { count, payloadHex: PAYLOAD, ...send }))) as {
    sent: number;
    dropped: number;
  };
  return { received: (await receiver.result) as unknown as Received, sent };
}

test('an IPv4 advert sent to 224.0.0.18 arrives with TTL 255, our source and the receiving ifindex', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  const { received } = await exchange(lab, 4, 1);
  assert.equal(received.reason, 'count');
  const [packet] = received.packets;
  assert.ok(packet);
  assert.deepEqual(withoutReceiveTime(packet), { family: 4, source: '10.99.0.1', destination: '224.0.0.18', ttl: 255, ifindex: lab.b.ifindex });
  // Only the VRRP payload is handed over, not the IP header.
  assert.equal(packet.payload, PAYLOAD);
});

test('an IPv6 advert sent to ff02::12 arrives with hop limit 255 from our link-local address', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  const { received } = await exchange(lab, 6, 1);
  assert.equal(received.reason, 'count');
  const [packet] = received.packets;
  assert.ok(packet);
  assert.deepEqual(withoutReceiveTime(packet), { family: 6, source: lab.a.linkLocal, destination: 'ff02::12', ttl: 255, ifindex: lab.b.ifindex });
  assert.equal(packet.payload, PAYLOAD);
});

test('unicast adverts go to each peer with the configured TTL / hop limit', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  const v4 = await exchange(lab, 4, 1, { unicastPeers: [lab.b.ipv4], unicastTtl: 7 });
  assert.deepEqual(withoutReceiveTime(v4.received.packets[0] as Received['packets'][number]), { family: 4, source: '10.99.0.1', destination: '10.99.0.2', ttl: 7, ifindex: lab.b.ifindex });
  // IPv6 unicast to the peer's global address; the source stays our link-local address.
  const v6 = await exchange(lab, 6, 1, { unicastPeers: [lab.b.ipv6], unicastTtl: 9 });
  assert.deepEqual(withoutReceiveTime(v6.received.packets[0] as Received['packets'][number]), { family: 6, source: lab.a.linkLocal, destination: 'fd00:99::2', ttl: 9, ifindex: lab.b.ifindex });
});

test('an explicit destination overrides the group', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  const { received } = await exchange(lab, 4, 1, { destination: lab.b.ipv4 });
  assert.equal(received.packets[0]?.info.destination, '10.99.0.2');
  assert.equal(received.packets[0]?.info.ttl, 255);
});

test('a sender does not receive its own multicast adverts', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  for (const family of [4, 6] as const) {
    // A receiver on the sending side, with the sender's own source address: it must see nothing.
    const own = lab.start(lab.a, 'vrrp-receive', transportArgs(lab.a, family, { count: 1, timeoutMs: 1_500 }));
    await own.ready;
    await lab.run(lab.a, 'vrrp-send', transportArgs(lab.a, family, { count: 3, payloadHex: PAYLOAD }));
    const result = (await own.result) as unknown as Received;
    assert.equal(result.reason, 'timeout', `IPv${family}`);
    assert.equal(result.received, 0, `IPv${family}`);
  }
});

for (const family of [4, 6] as const) {
  test(`a burst of 1,000 IPv${family} adverts all arrive, in order, in batches`, async (t) => {
    if (!lab) return t.skip(ROOT_REASON);
    const count = 1000;
    const straceFile = join(tmpdir(), `hsnet-strace-${process.pid}-${family}.txt`);
    const receiver = lab.start(lab.b, 'vrrp-receive', transportArgs(lab.b, family, { count, timeoutMs: 20_000 }), {
      strace: straceFile,
    });
    await receiver.ready;
    const sent = (await lab.run(lab.a, 'vrrp-send', transportArgs(lab.a, family, { count, payloadHex: PAYLOAD }))) as {
      sent: number;
      dropped: number;
    };
    const received = (await receiver.result) as unknown as Received;
    assert.deepEqual(sent, { sent: count, dropped: 0 });
    assert.equal(received.received, count);
    const sequence = received.packets.map((p) => Buffer.from(p.payload, 'hex').readUInt32BE(PAYLOAD.length / 2 - 4));
    assert.deepEqual(sequence, Array.from({ length: count }, (_, i) => i));
    const recvmsg = straceCount(straceFile, 'recvmsg');
    t.diagnostic(
      `IPv${family}: ${count} packets in ${received.batches} JS calls (${(received.batches / count).toFixed(3)}/packet), ` +
        `${recvmsg} recvmsg calls (${(recvmsg / count).toFixed(3)}/packet, incl. the EAGAIN ending each batch), ` +
        `${straceCount(straceFile, 'epoll_wait') + straceCount(straceFile, 'epoll_pwait')} epoll waits`,
    );
    rmSync(straceFile, { force: true });
  });
}

/** Calls of one syscall in an `strace -c` summary (0 when absent). */
function straceCount(file: string, syscall: string): number {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns[columns.length - 1] === syscall) {
      // % time, seconds, usecs/call, calls, [errors], syscall
      return Number(columns[3]);
    }
  }
  return 0;
}
