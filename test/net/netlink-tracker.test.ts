import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as K from '../../src/net/netlink/constants.js';
import { decodeMessages, type NetlinkMessage } from '../../src/net/netlink/message.js';
import { NetlinkError } from '../../src/net/netlink/netlink-error.js';
import { RequestTracker } from '../../src/net/netlink/request-tracker.js';
import { writeS32 } from '../../src/net/netlink/host-order.js';

function errorMessage(seq: number, errno: number): NetlinkMessage {
  const payload = Buffer.alloc(20);
  writeS32(payload, -errno, 0);
  return { type: K.NLMSG_ERROR, flags: 0, seq, pid: 0, payload };
}

test('replies are matched by sequence number even when they arrive out of order', async () => {
  const sent: NetlinkMessage[] = [];
  const tracker = new RequestTracker({ send: (b) => (sent.push(...decodeMessages(b).messages), true), timeoutMs: 1000 });
  const first = tracker.request(K.RTM_NEWADDR, 0, Buffer.alloc(8), 'first');
  const second = tracker.request(K.RTM_DELADDR, 0, Buffer.alloc(8), 'second');
  assert.deepEqual(sent.map((m) => m.seq), [1, 2]);
  tracker.handle(errorMessage(2, 99));
  tracker.handle(errorMessage(1, 0));
  tracker.handle(errorMessage(77, 0)); // matches nothing: ignored
  assert.deepEqual((await first).messages, []);
  await assert.rejects(second, (err: unknown) => err instanceof NetlinkError && err.code === 'EADDRNOTAVAIL' && err.operation === 'second');
  assert.equal(tracker.inFlight, 0);
});

test('a dump resolves on NLMSG_DONE and rejects on an error carried by DONE', async () => {
  const sent: NetlinkMessage[] = [];
  const tracker = new RequestTracker({ send: (b) => (sent.push(...decodeMessages(b).messages), true), timeoutMs: 1000 });
  const ok = tracker.dump(K.RTM_GETADDR, Buffer.alloc(8), 'dump one');
  const failing = tracker.dump(K.RTM_GETADDR, Buffer.alloc(8), 'dump two');
  assert.equal(sent.length, 1);
  const part: NetlinkMessage = { type: K.RTM_NEWADDR, flags: K.NLM_F_MULTI, seq: 1, pid: 0, payload: Buffer.alloc(8) };
  tracker.handle(part);
  tracker.handle(part);
  tracker.handle({ type: K.NLMSG_DONE, flags: K.NLM_F_MULTI, seq: 1, pid: 0, payload: Buffer.alloc(4) });
  assert.equal((await ok).messages.length, 2);
  assert.equal(sent.length, 2);
  const done = Buffer.alloc(4);
  writeS32(done, -16, 0);
  tracker.handle({ type: K.NLMSG_DONE, flags: K.NLM_F_MULTI, seq: 2, pid: 0, payload: done });
  await assert.rejects(failing, (err: unknown) => err instanceof NetlinkError && err.code === 'EBUSY');
});

test('a send the kernel had no room for rejects with ENOBUFS; a throwing send rejects with its error', async () => {
  const full = new RequestTracker({ send: () => false, timeoutMs: 1000 });
  await assert.rejects(full.request(K.RTM_NEWADDR, 0, Buffer.alloc(8), 'x'), (err: unknown) => err instanceof NetlinkError && err.code === 'ENOBUFS');
  const broken = new RequestTracker({
    send: () => {
      throw Object.assign(new Error('sendto failed'), { code: 'EBADF' });
    },
    timeoutMs: 1000,
  });
  await assert.rejects(broken.dump(K.RTM_GETLINK, Buffer.alloc(16), 'y'), /sendto failed/);
  // The failed dump must not block the next one.
  await assert.rejects(broken.dump(K.RTM_GETLINK, Buffer.alloc(16), 'z'), /sendto failed/);
});

test('sequence numbers wrap from 2^32-1 to 1', async () => {
  const sent: NetlinkMessage[] = [];
  const tracker = new RequestTracker({ send: (b) => (sent.push(...decodeMessages(b).messages), true), timeoutMs: 1000, firstSeq: 0xffffffff });
  const a = tracker.request(K.RTM_NEWADDR, 0, Buffer.alloc(8), 'a');
  const b = tracker.request(K.RTM_NEWADDR, 0, Buffer.alloc(8), 'b');
  assert.deepEqual(sent.map((m) => m.seq), [0xffffffff, 1]);
  tracker.close(new Error('closed for the test'));
  await assert.rejects(a, /closed for the test/);
  await assert.rejects(b, /closed for the test/);
});

test('a request carries NLM_F_REQUEST and NLM_F_ACK', () => {
  const sent: Buffer[] = [];
  const tracker = new RequestTracker({ send: (b) => (sent.push(b), true), timeoutMs: 1000 });
  void tracker.request(K.RTM_NEWADDR, K.NLM_F_CREATE, Buffer.alloc(8), 'x').catch(() => {});
  const [m] = decodeMessages(sent[0] ?? Buffer.alloc(0)).messages;
  assert.equal(m?.flags, K.NLM_F_REQUEST | K.NLM_F_ACK | K.NLM_F_CREATE);
  assert.equal(m?.payload.length, 8);
  tracker.close(new Error('done'));
});
