/**
 * The addon's generic socket, exercised without root through AF_NETLINK/NETLINK_ROUTE (which any
 * user may open and which answers locally, from the kernel).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadNative, type NativeSocket, type ReceivedMessage } from '../../src/net/native.js';
import { buildSockaddrIn, buildSockaddrNl, parseSockaddr } from '../../src/net/sockaddr.js';

const native = loadNative();
const c = native.constants as Record<string, number>;
const NLMSG_DONE = 3;

function openRouteSocket(): NativeSocket {
  const socket = new native.Socket(c.AF_NETLINK as number, c.SOCK_RAW as number, c.NETLINK_ROUTE as number);
  socket.bind(buildSockaddrNl());
  return socket;
}

function linkDumpRequest(sequence: number): Buffer {
  const request = Buffer.alloc(32);
  request.writeUInt32LE(32, 0);
  request.writeUInt16LE(18, 4); // RTM_GETLINK
  request.writeUInt16LE(0x301, 6); // NLM_F_REQUEST | NLM_F_DUMP
  request.writeUInt32LE(sequence, 8);
  return request;
}

/** Netlink message types in a datagram. */
function messageTypes(data: Buffer): number[] {
  const types: number[] = [];
  for (let offset = 0; offset + 16 <= data.length; ) {
    const length = data.readUInt32LE(offset);
    types.push(data.readUInt16LE(offset + 4));
    if (length < 16) break;
    offset += (length + 3) & ~3;
  }
  return types;
}

function errnoCode(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

test('the constants the other modules rely on are all there, numeric and frozen', () => {
  const required = `AF_INET AF_INET6 AF_PACKET AF_NETLINK SOCK_RAW SOCK_DGRAM SOCK_NONBLOCK SOCK_CLOEXEC IPPROTO_IP
    IPPROTO_IPV6 IPPROTO_ICMPV6 IP_PKTINFO IP_TTL IP_MULTICAST_IF IP_MULTICAST_TTL IP_MULTICAST_LOOP IP_ADD_MEMBERSHIP
    IP_DROP_MEMBERSHIP IP_RECVTTL IP_HDRINCL IPV6_RECVHOPLIMIT IPV6_HOPLIMIT IPV6_RECVPKTINFO IPV6_PKTINFO
    IPV6_MULTICAST_IF IPV6_MULTICAST_HOPS IPV6_MULTICAST_LOOP IPV6_MULTICAST_ALL IPV6_UNICAST_HOPS IPV6_JOIN_GROUP
    IPV6_ADD_MEMBERSHIP IPV6_LEAVE_GROUP IPV6_CHECKSUM SOL_SOCKET SO_BINDTODEVICE SO_RCVBUF SO_SNDBUF SO_REUSEADDR
    SOL_PACKET PACKET_ADD_MEMBERSHIP PACKET_OUTGOING ETH_P_ALL ETH_P_ARP ETH_P_IP ETH_P_IPV6 SOL_NETLINK NETLINK_ROUTE
    NETLINK_ADD_MEMBERSHIP NETLINK_NO_ENOBUFS RTMGRP_LINK RTMGRP_IPV4_IFADDR RTMGRP_IPV6_IFADDR`.split(/\s+/);
  const missing = required.filter((name) => !Number.isInteger(c[name]));
  assert.deepEqual(missing, []);
  assert.ok(Object.isFrozen(native.constants));
  // Spot checks against the Linux ABI.
  assert.equal(c.IPV6_JOIN_GROUP, c.IPV6_ADD_MEMBERSHIP);
  assert.equal(c.ETH_P_IPV6, 0x86dd);
  assert.equal(c.NETLINK_ROUTE, 0);
});

test('sockets are opened non-blocking and close-on-exec', () => {
  const socket = openRouteSocket();
  try {
    const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${socket.fd}`, 'utf8'))?.[1];
    assert.ok(flags !== undefined);
    const value = parseInt(flags, 8);
    assert.ok(value & 0o4000, 'O_NONBLOCK');
    assert.ok(value & 0o2000000, 'O_CLOEXEC');
  } finally {
    socket.close();
  }
});

test('failed system calls throw Errors whose code is the errno name', () => {
  assert.throws(() => new native.Socket(12345, c.SOCK_RAW as number, 0), (e: Error) => errnoCode(e) === 'EAFNOSUPPORT' && /socket/.test(e.message));
  const socket = openRouteSocket();
  try {
    assert.throws(() => socket.setOptionInt(c.SOL_SOCKET as number, 9999, 1), (e) => errnoCode(e) === 'ENOPROTOOPT');
    // An IPv4 address on a netlink socket.
    assert.throws(() => socket.bind(buildSockaddrIn('127.0.0.1')), (e) => errnoCode(e) === 'EINVAL');
  } finally {
    socket.close();
  }
  assert.throws(() => native.ifNameToIndex('hsnet-none0'), (e: Error) => errnoCode(e) === 'ENODEV' && e.message.includes("'hsnet-none0'"));
  assert.equal(native.ifNameToIndex('lo'), 1);
});

test('wrong argument shapes are TypeErrors, an oversized address a RangeError', () => {
  const socket = openRouteSocket();
  try {
    assert.throws(() => socket.setOptionInt(c.SOL_SOCKET as number, c.SO_RCVBUF as number, 'big' as unknown as number), TypeError);
    assert.throws(() => socket.sendTo('text' as unknown as Buffer, null), TypeError);
    assert.throws(() => socket.sendTo(Buffer.alloc(16), Buffer.alloc(129)), RangeError);
    assert.throws(() => socket.startReceiving(null as unknown as () => void, () => {}), TypeError);
    assert.throws(() => native.ifNameToIndex(1 as unknown as string), TypeError);
  } finally {
    socket.close();
  }
});

test('close() is idempotent and a closed socket refuses further use', () => {
  const socket = openRouteSocket();
  assert.ok(socket.fd >= 0);
  socket.close();
  socket.close();
  assert.equal(socket.fd, -1);
  assert.throws(() => socket.sendTo(linkDumpRequest(1), null), (e) => errnoCode(e) === 'EBADF');
  assert.throws(() => socket.startReceiving(() => {}, () => {}), (e) => errnoCode(e) === 'EBADF');
});

test('received datagrams arrive in batches with data, sender address and control as Buffers', async () => {
  const socket = openRouteSocket();
  try {
    const messages: ReceivedMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.startReceiving((batch) => {
        messages.push(...batch);
        if (batch.some((m) => messageTypes(m.data).includes(NLMSG_DONE))) resolve();
      }, reject);
      assert.equal(socket.sendTo(linkDumpRequest(1), null), 32);
    });
    assert.ok(messages.length >= 1);
    for (const message of messages) {
      assert.ok(Buffer.isBuffer(message.data) && Buffer.isBuffer(message.address) && Buffer.isBuffer(message.control));
      // From the kernel: netlink port id 0.
      assert.deepEqual(parseSockaddr(message.address), { family: 'netlink', pid: 0, groups: 0 });
    }
    // RTM_NEWLINK (16) for at least lo, then NLMSG_DONE.
    assert.ok(messages.flatMap((m) => messageTypes(m.data)).includes(16));
    // Fresh Buffers: not views of one shared receive buffer.
    const buffers = new Set(messages.map((m) => m.data.buffer));
    assert.equal(buffers.size, messages.length);
  } finally {
    socket.close();
  }
});

test('an exception in the receive callback goes to onError and receiving goes on', async () => {
  const socket = openRouteSocket();
  try {
    const thrown = new Error('handler bug');
    let calls = 0;
    await new Promise<void>((resolve, reject) => {
      socket.startReceiving(
        (batch) => {
          calls++;
          if (calls === 1) throw thrown;
          if (batch.some((m) => messageTypes(m.data).includes(NLMSG_DONE))) resolve();
        },
        (error) => {
          if (error !== thrown) return reject(error);
          // The socket still works: a second dump is delivered.
          socket.sendTo(linkDumpRequest(2), null);
        },
      );
      socket.sendTo(linkDumpRequest(1), null);
    });
    assert.ok(calls >= 2);
  } finally {
    socket.close();
  }
});

test('stopReceiving() pauses deliveries; startReceiving() resumes with what was queued', async () => {
  const socket = openRouteSocket();
  try {
    let delivered = 0;
    socket.startReceiving(() => delivered++, (e) => assert.fail(e));
    socket.stopReceiving();
    socket.sendTo(linkDumpRequest(1), null);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(delivered, 0);
    await new Promise<void>((resolve, reject) => {
      socket.startReceiving((batch) => {
        if (batch.some((m) => messageTypes(m.data).includes(NLMSG_DONE))) resolve();
      }, reject);
    });
  } finally {
    socket.close();
  }
});

test('promise continuations and nextTicks queued in the callback run right after it, like any I/O callback', async () => {
  const socket = openRouteSocket();
  try {
    const order: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.startReceiving(() => {
        if (order.length > 0) return;
        setImmediate(() => {
          order.push('immediate');
          resolve();
        });
        void Promise.resolve().then(() => order.push('promise'));
        process.nextTick(() => order.push('tick'));
      }, reject);
      socket.sendTo(linkDumpRequest(1), null);
    });
    assert.deepEqual(order, ['tick', 'promise', 'immediate']);
  } finally {
    socket.close();
  }
});

const run = promisify(execFile);
const lifecycleFixture = fileURLToPath(new URL('./fixtures/socket-lifecycle.js', import.meta.url));

test('close() inside the callback stops deliveries and leaves nothing keeping the process alive', async () => {
  // The child would hang (and time out) if the poll handle were left open.
  const { stdout } = await run(process.execPath, [lifecycleFixture, JSON.stringify({ mode: 'close-in-callback' })], { timeout: 10_000 });
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop() ?? ''), { batchSizes: [64], errors: [], fd: -1 });
});

test('a socket garbage-collected without close() closes its file descriptor', async () => {
  const { stdout } = await run(process.execPath, ['--expose-gc', lifecycleFixture, JSON.stringify({ mode: 'gc' })], { timeout: 10_000 });
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop() ?? ''), { socketBefore: true, closed: true });
});

test('loadNative names the missing file and the build command when the addon is not built', async () => {
  // A package with the compiled loader but no build/ directory.
  const root = mkdtempSync(join(tmpdir(), 'hsnet-unbuilt-'));
  try {
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    mkdirSync(join(root, 'lib'));
    copyFileSync(fileURLToPath(new URL('../../src/net/native.js', import.meta.url)), join(root, 'lib', 'native.js'));
    const module = (await import(pathToFileURL(join(root, 'lib', 'native.js')).href)) as { loadNative: () => unknown };
    assert.throws(
      () => module.loadNative(),
      (e: Error) =>
        errnoCode(e) === 'ERR_HSNET_NOT_BUILT' && e.message.includes(join(root, 'build', 'Release', 'hsnet.node')) && e.message.includes('npm run install'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
