/**
 * Gratuitous ARP and unsolicited NA on the wire (root only): the frames sent through the packet
 * socket arrive on the other end of a veth pair with the right fields, and the neighbour's kernel
 * accepts them, i.e. replaces the link-layer address it had cached for the virtual address.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { createVethLab, isRoot, type VethLab } from './veth-lab.js';

const ROOT_REASON = 'needs root: creates network namespaces and packet sockets';
const STALE_MAC = '02:00:00:00:00:99';
const VIP4 = '10.99.0.100';
const VIP6 = 'fd00:99::100';

let lab: VethLab | undefined;

before(async () => {
  if (isRoot()) lab = await createVethLab('announce');
});

after(() => lab?.destroy());

interface Captured {
  reason: string;
  frames: { frame: string; pkttype: number; ifindex: number }[];
}

function neighbourMac(l: VethLab, family: 4 | 6, address: string): string | undefined {
  const out = JSON.parse(l.ip(l.b, '-j', `-${family}`, 'neigh', 'show', address, 'dev', l.b.ifname)) as { lladdr?: string }[];
  return out[0]?.lladdr;
}

test('a gratuitous ARP for the VIP reaches the neighbour and updates its ARP cache', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  lab.ip(lab.b, 'neigh', 'replace', VIP4, 'lladdr', STALE_MAC, 'dev', lab.b.ifname, 'nud', 'stale');
  const capture = lab.start(lab.b, 'frame-capture', { interfaceName: lab.b.ifname, ethertype: 0x0806, count: 1, timeoutMs: 10_000 });
  await capture.ready;
  const sent = await lab.run(lab.a, 'frame-send', { interfaceName: lab.a.ifname, kind: 'garp', address: VIP4 });
  assert.equal(sent.sent, true);
  const { frames } = (await capture.result) as unknown as Captured;
  assert.equal(frames.length, 1);
  const frame = Buffer.from(frames[0]?.frame ?? '', 'hex');
  const mac = Buffer.from(lab.a.mac.replace(/:/g, ''), 'hex');
  assert.deepEqual(frame.subarray(0, 6), Buffer.alloc(6, 0xff), 'Ethernet broadcast');
  assert.deepEqual(frame.subarray(6, 12), mac, 'Ethernet source is our MAC');
  assert.equal(frame.readUInt16BE(12), 0x0806);
  assert.equal(frame.readUInt16BE(14), 1, 'hardware type Ethernet');
  assert.equal(frame.readUInt16BE(16), 0x0800, 'protocol IPv4');
  assert.equal(frame.readUInt16BE(20), 1, 'ARP request');
  assert.deepEqual(frame.subarray(22, 28), mac, 'sender MAC');
  assert.deepEqual([...frame.subarray(28, 32)], [10, 99, 0, 100], 'sender IP is the VIP');
  assert.deepEqual([...frame.subarray(38, 42)], [10, 99, 0, 100], 'target IP is the VIP');
  assert.equal(frames[0]?.pkttype, 1, 'PACKET_BROADCAST');
  // The kernel may process the ARP a moment after the capture saw it.
  await waitFor(() => neighbourMac(lab as VethLab, 4, VIP4) === lab?.a.mac);
});

test('an unsolicited NA for the VIP reaches the neighbour and updates its neighbour cache', async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  lab.ip(lab.b, '-6', 'neigh', 'replace', VIP6, 'lladdr', STALE_MAC, 'dev', lab.b.ifname, 'nud', 'stale');
  const capture = lab.start(lab.b, 'frame-capture', {
    interfaceName: lab.b.ifname,
    ethertype: 0x86dd,
    icmpv6Type: 136,
    count: 1,
    timeoutMs: 10_000,
  });
  await capture.ready;
  const sent = await lab.run(lab.a, 'frame-send', { interfaceName: lab.a.ifname, kind: 'na', address: VIP6 });
  assert.equal(sent.sent, true);
  const { frames } = (await capture.result) as unknown as Captured;
  assert.equal(frames.length, 1);
  const frame = Buffer.from(frames[0]?.frame ?? '', 'hex');
  const mac = Buffer.from(lab.a.mac.replace(/:/g, ''), 'hex');
  const vip = Buffer.from('fd000099000000000000000000000100', 'hex');
  assert.deepEqual(frame.subarray(0, 6), Buffer.from('333300000001', 'hex'), 'Ethernet all-nodes multicast');
  assert.deepEqual(frame.subarray(6, 12), mac);
  assert.equal(frame.readUInt16BE(12), 0x86dd);
  assert.equal(frame[20], 58, 'next header ICMPv6');
  assert.equal(frame[21], 255, 'hop limit 255');
  assert.deepEqual(frame.subarray(22, 38), vip, 'IPv6 source is the VIP');
  assert.deepEqual(frame.subarray(38, 54), Buffer.from('ff020000000000000000000000000001', 'hex'), 'to ff02::1');
  assert.equal(frame[54], 136, 'neighbour advertisement');
  assert.equal(frame[58], 0x20, 'Override only: not solicited, not a router');
  assert.deepEqual(frame.subarray(62, 78), vip, 'target is the VIP');
  assert.deepEqual([...frame.subarray(78, 80)], [2, 1], 'target link-layer address option, 8 bytes');
  assert.deepEqual(frame.subarray(80, 86), mac);
  await waitFor(() => neighbourMac(lab as VethLab, 6, VIP6) === lab?.a.mac);
});

test("the kernel filter for neighbour adverts passes them and keeps the interface's other IPv6 traffic (pings, solicitations) away", async (t) => {
  if (!lab) return t.skip(ROOT_REASON);
  const l = lab;
  const capture = l.start(l.b, 'frame-capture', { interfaceName: l.b.ifname, ethertype: 0x86dd, icmpv6Type: 136, kernelFilter: true, count: 50, timeoutMs: 4_000 });
  await capture.ready;
  // Echo requests (ICMPv6 128) and b's neighbour solicitations reach b's interface; then the NA.
  l.ip(l.b, '-6', 'neigh', 'flush', 'dev', l.b.ifname);
  await l.run(l.a, 'frame-send', { interfaceName: l.a.ifname, kind: 'na', address: VIP6 });
  execFileSync('ip', ['netns', 'exec', l.a.ns, 'ping', '-6', '-c', '3', '-i', '0.2', '-W', '1', l.b.ipv6], { stdio: 'ignore' });
  const { frames } = (await capture.result) as unknown as Captured;
  const types = frames.map((f) => Buffer.from(f.frame, 'hex')[54]);
  assert.ok(types.length >= 1, 'the NA came through');
  assert.deepEqual([...new Set(types)], [136], `only neighbour adverts (ICMPv6 types seen: ${types.join(', ')})`);
  assert.ok(frames.some((f) => Buffer.from(f.frame, 'hex').subarray(62, 78).equals(Buffer.from('fd000099000000000000000000000100', 'hex'))), 'ours among them');
});

async function waitFor(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('Timed out waiting for the neighbour entry to change');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
