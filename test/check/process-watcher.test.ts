import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK_TIMEOUT_MS, ProcessWatcher, type WatchedEvent } from '../../src/check/process-watcher.js';
import {
  CN_IDX_PROC,
  encodeProcEventDatagram,
  NETLINK_CONNECTOR,
  PROC_EVENT_EXEC,
  PROC_EVENT_EXIT,
  PROC_EVENT_FORK,
  PROC_EVENT_NONE,
} from '../../src/check/proc-connector.js';
import { decodeMessages } from '../../src/net/netlink/message.js';
import { buildSockaddrNl, parseSockaddr } from '../../src/net/sockaddr.js';
import { createFakeNative, type FakeSocket } from '../net/fake-native.js';
import { FakeTime } from '../support/fake-time.js';
import { keepingLogger, LE, u32 } from './helpers.js';

const fromKernel = (data: Buffer) => ({ data, address: buildSockaddrNl(0, CN_IDX_PROC), control: Buffer.alloc(0) });

/** The token the watcher put in its LISTEN request (cn_msg.ack). */
function tokenOf(socket: FakeSocket): number {
  const sent = socket.sent[0];
  assert.ok(sent, 'a subscribe request was sent');
  const [message] = decodeMessages(sent.data).messages;
  assert.ok(message);
  return LE ? message.payload.readUInt32LE(12) : message.payload.readUInt32BE(12);
}

function open() {
  const fake = createFakeNative();
  const time = new FakeTime();
  const log = keepingLogger();
  const watcher = ProcessWatcher.open(fake.binding, { clock: time, timers: time, log });
  const socket = fake.sockets[0];
  assert.ok(socket);
  const events: WatchedEvent[] = [];
  watcher.subscribe((e) => events.push(e));
  const ack = (err = 0, token = tokenOf(socket) + 1) => socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_NONE, u32(err), { ack: token }))]);
  return { fake, time, log, watcher, socket, events, ack };
}

test('ProcessWatcher subscribes on a connector socket bound to the proc group', () => {
  const { socket, watcher, ack } = open();
  assert.equal(socket.protocol, NETLINK_CONNECTOR);
  assert.deepEqual(parseSockaddr(socket.bound[0] ?? Buffer.alloc(0)), { family: 'netlink', pid: 0, groups: CN_IDX_PROC });
  assert.equal(watcher.mode, 'starting');
  ack();
  assert.equal(watcher.mode, 'events');
  assert.equal(watcher.note, undefined);
  watcher.close();
  // Unsubscribes before closing, so the kernel stops producing events.
  const last = socket.sent[socket.sent.length - 1];
  const [message] = decodeMessages(last?.data ?? Buffer.alloc(0)).messages;
  assert.equal(LE ? message?.payload.readUInt32LE(20) : message?.payload.readUInt32BE(20), 2, 'PROC_CN_MCAST_IGNORE');
  assert.equal(socket.closed, true);
});

test("ProcessWatcher ignores another process's acknowledgement", () => {
  const { socket, watcher, ack } = open();
  ack(1, tokenOf(socket) + 99);
  assert.equal(watcher.mode, 'starting');
  ack(0);
  assert.equal(watcher.mode, 'events');
  watcher.close();
});

test('ProcessWatcher falls back to polling when the kernel refuses or never answers', () => {
  const refused = open();
  refused.ack(1);
  assert.equal(refused.watcher.mode, 'polling');
  assert.match(refused.watcher.note ?? '', /refused the subscription \(errno 1, EPERM/);
  assert.equal(refused.socket.closed, true);

  const silent = open();
  silent.time.advanceBy(ACK_TIMEOUT_MS);
  assert.equal(silent.watcher.mode, 'polling');
  assert.match(silent.watcher.note ?? '', /did not acknowledge/);
  assert.ok(silent.log.lines.some((l) => l.level === 'warn' && l.message.includes('fall back to polling')));
});

test('ProcessWatcher without the addon, or when the socket cannot be opened, polls and says why', () => {
  const time = new FakeTime();
  const none = ProcessWatcher.open(undefined, { clock: time, timers: time, log: keepingLogger() });
  assert.equal(none.mode, 'polling');
  assert.match(none.note ?? '', /native addon is not available/);
  const fake = createFakeNative();
  const failing = {
    ...fake.binding,
    Socket: class {
      constructor() {
        throw Object.assign(new Error('socket failed: Protocol not supported (EPROTONOSUPPORT)'), { code: 'EPROTONOSUPPORT' });
      }
    } as unknown as typeof fake.binding.Socket,
  };
  const broken = ProcessWatcher.open(failing, { clock: time, timers: time, log: keepingLogger() });
  assert.equal(broken.mode, 'polling');
  assert.match(broken.note ?? '', /EPROTONOSUPPORT/);
});

test('ProcessWatcher passes events on and remembers exits until the pid is reused', () => {
  const { socket, watcher, events, ack } = open();
  ack();
  socket.deliver([
    fromKernel(encodeProcEventDatagram(PROC_EVENT_EXIT, u32(500, 500, 0, 17))),
    fromKernel(encodeProcEventDatagram(PROC_EVENT_EXIT, u32(601, 600, 0, 17))), // a thread
  ]);
  assert.deepEqual(events.map((e) => e.type), ['exit', 'exit']);
  assert.equal(watcher.hasExited(500), true);
  assert.equal(watcher.hasExited(600), false, 'a thread exit is not the process exit');
  socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_FORK, u32(1, 1, 500, 500)))]);
  assert.equal(watcher.hasExited(500), false, 'a new process took the pid');
  socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_EXIT, u32(700, 700, 0, 17)))]);
  socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_EXEC, u32(700, 700)))]);
  assert.equal(watcher.hasExited(700), false, 'exec by a surviving thread keeps the process');
  // Messages not from the kernel are ignored.
  socket.deliver([{ data: encodeProcEventDatagram(PROC_EVENT_EXIT, u32(800, 800, 0, 0)), address: buildSockaddrNl(4242), control: Buffer.alloc(0) }]);
  assert.equal(watcher.hasExited(800), false);
  watcher.close();
});

test('ProcessWatcher forgets exits after a while', () => {
  const { socket, watcher, time, ack } = open();
  ack();
  socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_EXIT, u32(500, 500, 0, 17)))]);
  time.advanceBy(31_000);
  socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_EXIT, u32(501, 501, 0, 17)))]);
  assert.equal(watcher.hasExited(500), false);
  assert.equal(watcher.hasExited(501), true);
  watcher.close();
});

test('ProcessWatcher: dropped events (ENOBUFS) ask checks to look again; a dead poll reopens the socket', () => {
  const { fake, socket, watcher, events, ack, log } = open();
  ack();
  socket.fail(Object.assign(new Error('recvmsg failed: No buffer space available (ENOBUFS)'), { code: 'ENOBUFS', syscall: 'recvmsg' }));
  assert.deepEqual(events.at(-1), { type: 'lost', reason: 'the kernel dropped process events (ENOBUFS)' });
  assert.equal(socket.closed, false);
  socket.fail(Object.assign(new Error('uv_poll failed: Bad file descriptor (EBADF)'), { code: 'EBADF', syscall: 'uv_poll' }));
  assert.equal(socket.closed, true);
  assert.equal(fake.sockets.length, 2, 'a new socket');
  assert.equal(watcher.mode, 'starting');
  assert.equal(events.at(-1)?.type, 'lost');
  assert.ok(log.lines.some((l) => l.message.includes('reopening')));
  const fresh = fake.sockets[1] as FakeSocket;
  fresh.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_NONE, u32(0), { ack: tokenOf(fresh) + 1 }))]);
  assert.equal(watcher.mode, 'events');
  watcher.close();
});

test('ProcessWatcher: a listener that throws is logged and the others still get the event', () => {
  const { socket, watcher, ack, log } = open();
  ack();
  const seen: string[] = [];
  watcher.subscribe(() => {
    throw new Error('bug');
  });
  watcher.subscribe((e) => seen.push(e.type));
  socket.deliver([fromKernel(encodeProcEventDatagram(PROC_EVENT_EXEC, u32(5, 5)))]);
  assert.deepEqual(seen, ['exec']);
  assert.ok(log.lines.some((l) => l.level === 'error'));
  watcher.close();
});
