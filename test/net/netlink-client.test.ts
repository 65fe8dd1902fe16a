import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as K from '../../src/net/netlink/constants.js';
import { RtNetlink, type ChangeKind } from '../../src/net/netlink/rtnetlink.js';
import type { AddressInfo } from '../../src/net/netlink/address.js';
import type { LinkInfo } from '../../src/net/netlink/link.js';
import { NetlinkError } from '../../src/net/netlink/netlink-error.js';
import { encodeMessage } from '../../src/net/netlink/message.js';
import { FakeKernel } from './fixtures/netlink-fake-kernel.js';

function kernelWithTwoLinks(): FakeKernel {
  const kernel = new FakeKernel();
  kernel.links.push(
    { index: 1, name: 'lo', mac: '00:00:00:00:00:00', up: true, running: true, carrier: true, operState: 'unknown', mtu: 65536, flags: K.IFF_UP | K.IFF_RUNNING | K.IFF_LOWER_UP | K.IFF_LOOPBACK, type: 772 },
    { index: 3, name: 'veth0', mac: '02:99:00:00:00:01', up: true, running: true, carrier: true, operState: 'up', mtu: 1500, flags: K.IFF_UP | K.IFF_RUNNING | K.IFF_LOWER_UP, type: 1 },
  );
  kernel.addresses.push({ index: 1, family: 4, address: '127.0.0.1', prefixLength: 8, scope: 254, rawFlags: K.IFA_F_PERMANENT, label: 'lo' });
  return kernel;
}

/** Resolves once the predicate holds, polling each loop turn; rejects after a generous deadline. */
async function until(predicate: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('links() collects a dump spread over several datagrams', async () => {
  const kernel = kernelWithTwoLinks();
  kernel.partsPerDatagram = 1;
  const nl = RtNetlink.open(kernel.binding);
  try {
    const links = await nl.links();
    assert.deepEqual(links.map((l) => [l.index, l.name, l.mac, l.carrier]), [
      [1, 'lo', '00:00:00:00:00:00', true],
      [3, 'veth0', '02:99:00:00:00:01', true],
    ]);
    const [request] = kernel.sockets[0]?.sent ?? [];
    assert.equal(request?.type, K.RTM_GETLINK);
    assert.equal((request?.flags ?? 0) & K.NLM_F_DUMP, K.NLM_F_DUMP);
  } finally {
    nl.close();
  }
});

test('link(name) returns the link, or undefined for ENODEV', async () => {
  const nl = RtNetlink.open(kernelWithTwoLinks().binding);
  try {
    assert.equal((await nl.link('veth0'))?.index, 3);
    assert.equal(await nl.link('eth9'), undefined);
  } finally {
    nl.close();
  }
});

test('concurrent dumps are sent one at a time and each gets its own results', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const linksPromise = nl.links();
    const addressesPromise = nl.addresses();
    // Only the first dump is on the wire until its NLMSG_DONE arrives.
    assert.equal(kernel.sockets[0]?.sent.length, 1);
    const [links, addresses] = await Promise.all([linksPromise, addressesPromise]);
    assert.equal(links.length, 2);
    assert.deepEqual(addresses.map((a) => a.address), ['127.0.0.1']);
    assert.equal(kernel.sockets[0]?.sent.length, 2);
  } finally {
    nl.close();
  }
});

test('address requests are pipelined with distinct sequence numbers and matched to their replies', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const results = await Promise.allSettled([
      nl.addAddress({ ifindex: 3, family: 4, address: '10.99.0.10', prefixLength: 32, label: 'veth0:vip' }),
      nl.addAddress({ ifindex: 3, family: 4, address: '10.99.0.10', prefixLength: 32 }),
      nl.addAddress({ ifindex: 9, family: 4, address: '10.99.0.11', prefixLength: 32 }),
      nl.addAddress({ ifindex: 3, family: 6, address: 'fd00:99::10', prefixLength: 64, nodad: true }),
    ]);
    const sent = kernel.sockets[0]?.sent ?? [];
    assert.equal(new Set(sent.map((m) => m.seq)).size, 4);
    assert.ok(sent.every((m) => (m.flags & (K.NLM_F_ACK | K.NLM_F_CREATE | K.NLM_F_EXCL)) === (K.NLM_F_ACK | K.NLM_F_CREATE | K.NLM_F_EXCL)));
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'added' });
    assert.deepEqual(results[1], { status: 'fulfilled', value: 'exists' });
    assert.equal(results[2]?.status, 'rejected');
    assert.equal(results[2]?.status === 'rejected' && (results[2].reason as NetlinkError).code, 'ENODEV');
    assert.deepEqual(results[3], { status: 'fulfilled', value: 'added' });
    const v6 = (await nl.addresses({ family: 6 }))[0];
    assert.deepEqual([v6?.address, v6?.flags.nodad], ['fd00:99::10', true]);
    assert.deepEqual((await nl.addresses({ index: 3, family: 4 })).map((a) => [a.address, a.label]), [['10.99.0.10', 'veth0:vip']]);
  } finally {
    nl.close();
  }
});

test('deleting a missing address rejects with EADDRNOTAVAIL naming the address', async () => {
  const nl = RtNetlink.open(kernelWithTwoLinks().binding);
  try {
    await assert.rejects(nl.deleteAddress({ ifindex: 3, family: 4, address: '10.99.0.77', prefixLength: 32 }), (err: unknown) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'EADDRNOTAVAIL');
      assert.match(err.message, /RTM_DELADDR 10\.99\.0\.77\/32 on ifindex 3/);
      return true;
    });
  } finally {
    nl.close();
  }
});

test('a malformed spec rejects without sending anything', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    await assert.rejects(nl.addAddress({ ifindex: 3, family: 4, address: '10.99.0.300', prefixLength: 32 }), SyntaxError);
    assert.equal(kernel.sockets[0]?.sent.length, 0);
  } finally {
    nl.close();
  }
});

test('an unanswered request rejects with ETIMEDOUT after the timeout, and later requests still work', async () => {
  const kernel = kernelWithTwoLinks();
  kernel.ignoreTypes.add(K.RTM_NEWADDR);
  const nl = RtNetlink.open(kernel.binding, { timeoutMs: 50 });
  try {
    const started = Date.now();
    await assert.rejects(nl.addAddress({ ifindex: 3, family: 4, address: '10.99.0.10', prefixLength: 32 }), (err: unknown) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.match(err.message, /no reply within 50 ms/);
      return true;
    });
    assert.ok(Date.now() - started >= 45);
    assert.equal((await nl.links()).length, 2);
  } finally {
    nl.close();
  }
});

test('a dump flagged as interrupted is repeated', async () => {
  const kernel = kernelWithTwoLinks();
  kernel.interruptDumps = 1;
  const nl = RtNetlink.open(kernel.binding);
  try {
    assert.equal((await nl.links()).length, 2);
    assert.equal(kernel.sockets[0]?.sent.length, 2);
  } finally {
    nl.close();
  }
});

test('notifications arrive on a second socket in the right groups', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const linkEvents: Array<[string, boolean, ChangeKind]> = [];
    const addressEvents: Array<[string, ChangeKind]> = [];
    nl.onLink((link: LinkInfo, change) => linkEvents.push([link.name, link.up, change]));
    nl.onAddress((address: AddressInfo, change) => addressEvents.push([address.address, change]));
    assert.equal(kernel.sockets.length, 2);
    assert.deepEqual([...(kernel.sockets[1]?.groups ?? [])].sort((a, b) => a - b), [K.RTNLGRP_LINK, K.RTNLGRP_IPV4_IFADDR, K.RTNLGRP_IPV6_IFADDR]);
    assert.equal(kernel.sockets[0]?.groups.size, 0);

    kernel.setLink('veth0', { up: false, flags: 0, operState: 'down' });
    await nl.addAddress({ ifindex: 3, family: 4, address: '10.99.0.10', prefixLength: 32 });
    await nl.deleteAddress({ ifindex: 3, family: 4, address: '10.99.0.10', prefixLength: 32 });
    await until(() => linkEvents.length === 1 && addressEvents.length === 2, 'three notifications');
    assert.deepEqual(linkEvents, [['veth0', false, 'new']]);
    assert.deepEqual(addressEvents, [['10.99.0.10', 'new'], ['10.99.0.10', 'del']]);
  } finally {
    nl.close();
  }
});

test('ENOBUFS on the notification socket asks for a resync; other errors go to onError', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const reasons: string[] = [];
    const errors: Error[] = [];
    nl.onLink(() => {});
    nl.onResync((reason) => reasons.push(reason));
    nl.onError((err) => errors.push(err));
    kernel.sockets[1]?.fail('ENOBUFS');
    kernel.sockets[1]?.fail('EIO');
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /ENOBUFS/);
    assert.deepEqual(errors.map((e) => (e as NodeJS.ErrnoException).code), ['EIO']);
  } finally {
    nl.close();
  }
});

test('an event socket that libuv stopped polling is replaced, rejoined and a resync requested', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const reasons: string[] = [];
    const seen: string[] = [];
    nl.onLink((link) => seen.push(`${link.name} mtu=${link.mtu}`));
    nl.onAddress(() => {});
    nl.onResync((reason) => reasons.push(reason));
    const old = kernel.sockets[1];
    old?.fail('EBADF', 'uv_poll');
    assert.equal(old?.closed, true);
    assert.equal(kernel.sockets.length, 3);
    assert.deepEqual([...(kernel.sockets[2]?.groups ?? [])].sort((a, b) => a - b), [K.RTNLGRP_LINK, K.RTNLGRP_IPV4_IFADDR, K.RTNLGRP_IPV6_IFADDR]);
    assert.equal(reasons.length, 1);
    kernel.setLink('veth0', { mtu: 9000 });
    await until(() => seen.length === 1, 'a notification on the new socket');
    assert.deepEqual(seen, ['veth0 mtu=9000']);
  } finally {
    nl.close();
  }
});

test('a request socket that libuv stopped polling fails in-flight requests at once and is replaced', async () => {
  const kernel = kernelWithTwoLinks();
  kernel.ignoreTypes.add(K.RTM_GETLINK);
  const nl = RtNetlink.open(kernel.binding, { timeoutMs: 60_000 });
  try {
    const errors: Error[] = [];
    nl.onError((err) => errors.push(err));
    const pending = nl.links();
    kernel.sockets[0]?.fail('EBADF', 'uv_poll');
    await assert.rejects(pending, /uv_poll failed/);
    assert.equal(kernel.sockets[0]?.closed, true);
    assert.equal(errors.length, 1);
    kernel.ignoreTypes.clear();
    assert.equal((await nl.links()).length, 2);
    assert.equal(kernel.sockets[1]?.sent.length, 1);
  } finally {
    nl.close();
  }
});

test('a throwing listener is reported to onError and does not stop other listeners', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const errors: Error[] = [];
    const seen: string[] = [];
    nl.onError((err) => errors.push(err));
    nl.onLink(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = nl.onLink((link) => seen.push(link.name));
    kernel.setLink('veth0', { mtu: 9000 });
    await until(() => seen.length === 1, 'the second listener');
    assert.deepEqual(errors.map((e) => e.message), ['listener bug']);
    unsubscribe();
    kernel.setLink('veth0', { mtu: 1500 });
    await until(() => errors.length === 2, 'the first listener again');
    assert.equal(seen.length, 1);
  } finally {
    nl.close();
  }
});

test('close() rejects pending requests, closes both sockets and refuses new requests', async () => {
  const kernel = kernelWithTwoLinks();
  kernel.ignoreTypes.add(K.RTM_GETLINK);
  const nl = RtNetlink.open(kernel.binding);
  nl.onAddress(() => {});
  const pending = nl.links();
  nl.close();
  nl.close();
  await assert.rejects(pending, /closed/);
  await assert.rejects(nl.addresses(), /closed/);
  assert.ok(kernel.sockets.every((s) => s.closed));
  assert.throws(() => nl.onLink(() => {}), /closed/);
});

test('a malformed datagram is reported to onError, never thrown', async () => {
  const kernel = kernelWithTwoLinks();
  const nl = RtNetlink.open(kernel.binding);
  try {
    const errors: Error[] = [];
    nl.onError((err) => errors.push(err));
    kernel.sockets[0]?.deliver([Buffer.from([1, 2, 3])]);
    assert.match(errors[0]?.message ?? '', /Malformed netlink reply/);
    assert.equal((await nl.links()).length, 2);
  } finally {
    nl.close();
  }
});

test('a reply forged by another process (non-zero port) is ignored', async () => {
  const kernel = kernelWithTwoLinks();
  kernel.ignoreTypes.add(K.RTM_GETLINK);
  const nl = RtNetlink.open(kernel.binding, { timeoutMs: 100 });
  try {
    const pending = nl.link('veth0');
    const seq = kernel.sockets[0]?.sent[0]?.seq ?? 0;
    const ack = Buffer.alloc(4 + 16);
    kernel.sockets[0]?.deliverFrom(999, [encodeMessage({ type: K.NLMSG_ERROR, flags: 0, seq, pid: 0 }, ack)]);
    await assert.rejects(pending, (err: unknown) => err instanceof NetlinkError && err.code === 'ETIMEDOUT');
  } finally {
    nl.close();
  }
});
