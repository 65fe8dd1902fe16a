/**
 * The virtual routes and rules holder against an in-memory routing table with the kernel's
 * answers: added after the VIPs, removed with them, idempotent, and never removing what it did
 * not add; plus the VMAC set against a fake link table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteRuleHolder, VipAndRouteHolder, type RoutingTable } from '../../src/daemon/route-holder.js';
import { Vmacs, type LinkTable } from '../../src/daemon/vmac.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { RouteSpec } from '../../src/net/netlink/route.js';
import type { RuleSpec } from '../../src/net/netlink/rule.js';
import type { LinkInfo } from '../../src/net/netlink/link.js';
import type { MacvlanSpec } from '../../src/net/netlink/macvlan.js';
import { ConfigError } from '../../src/config/config-error.js';
import { instanceConfig } from '../support/instance-config.js';

const route = (destination: string): RouteSpec => ({ family: 4, destination, prefixLength: 24, type: 'unicast', nextHops: [{ gateway: '192.0.2.1' }], table: 254, protocol: 18 });
const rule: RuleSpec = { family: 4, from: { address: '192.0.2.10', prefixLength: 32 }, action: 'table', table: 100, priority: 1000 };

class MemoryRouting implements RoutingTable {
  readonly present = new Set<string>();
  readonly requests: string[] = [];
  private answer(op: string, key: string): 'added' | 'exists' {
    this.requests.push(`${op} ${key}`);
    if (this.present.has(key)) return 'exists';
    this.present.add(key);
    return 'added';
  }
  private remove(op: string, key: string, missing: string): void {
    this.requests.push(`${op} ${key}`);
    if (!this.present.delete(key)) throw Object.assign(new Error('gone'), { code: missing });
  }
  async addRoute(spec: RouteSpec) {
    return this.answer('add', spec.destination);
  }
  async deleteRoute(spec: RouteSpec) {
    this.remove('del', spec.destination, 'ESRCH');
  }
  async addRule(spec: RuleSpec) {
    return this.answer('add', `rule ${spec.priority}`);
  }
  async deleteRule(spec: RuleSpec) {
    this.remove('del', `rule ${spec.priority}`, 'ENOENT');
  }
}

test('routes and rules are added on take (in order) and removed on release (in reverse); a second take adds nothing', async () => {
  const table = new MemoryRouting();
  const holder = new RouteRuleHolder([route('10.1.0.0'), route('10.2.0.0')], [rule], table, silentLogger);
  holder.take();
  holder.take();
  await holder.settled();
  assert.deepEqual([...table.present], ['10.1.0.0', '10.2.0.0', 'rule 1000']);
  assert.deepEqual(table.requests, ['add 10.1.0.0', 'add 10.2.0.0', 'add rule 1000']);
  holder.release();
  holder.release();
  await holder.settled();
  assert.equal(table.present.size, 0);
  assert.deepEqual(table.requests.slice(3), ['del rule 1000', 'del 10.2.0.0', 'del 10.1.0.0']);
});

test('a route that was already there is not ours: never removed', async () => {
  const table = new MemoryRouting();
  table.present.add('10.1.0.0');
  const holder = new RouteRuleHolder([route('10.1.0.0'), route('10.2.0.0')], [], table, silentLogger);
  holder.take();
  holder.release();
  await holder.settled();
  assert.deepEqual([...table.present], ['10.1.0.0']);
  assert.ok(!table.requests.includes('del 10.1.0.0'));
});

test('a route the kernel already dropped (with its source VIP) is no error on release', async () => {
  const table = new MemoryRouting();
  const logged: string[] = [];
  const log = { ...silentLogger, log: (level: string, msg: string) => void logged.push(`${level} ${msg}`), child: () => log };
  const holder = new RouteRuleHolder([route('10.1.0.0')], [], table, log as typeof silentLogger);
  holder.take();
  await holder.settled();
  table.present.clear();
  holder.release();
  await holder.settled();
  assert.deepEqual(logged.filter((l) => l.startsWith('error')), []);
});

test('routes wait for the VIP requests: a route with a VIP as source is asked for after the VIP is on', async () => {
  const order: string[] = [];
  let finishVips: () => void = () => undefined;
  const vipsDone = new Promise<void>((resolve) => {
    finishVips = resolve;
  });
  const vips = {
    take: () => void order.push('vips take'),
    release: () => void order.push('vips release'),
    releaseStale: () => void order.push('vips release stale'),
    settled: () => vipsDone.then(() => void order.push('vips settled')),
  };
  const table = new MemoryRouting();
  const both = new VipAndRouteHolder(vips, new RouteRuleHolder([route('10.1.0.0')], [], table, silentLogger));
  both.take();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(table.requests, [], 'no route before the VIPs are settled');
  finishVips();
  await both.settled();
  assert.deepEqual(order.slice(0, 2), ['vips take', 'vips settled']);
  assert.deepEqual(table.requests, ['add 10.1.0.0']);
});

class FakeLinks implements LinkTable {
  readonly links = new Map<string, LinkInfo>([['eth0', link('eth0', 2, '02:00:00:00:00:01')]]);
  readonly calls: string[] = [];
  async link(name: string) {
    return this.links.get(name);
  }
  async createMacvlan(spec: MacvlanSpec) {
    this.calls.push(`create ${spec.name} on ${spec.parentIndex} ${spec.mac} ${spec.mode}`);
    this.links.set(spec.name, link(spec.name, 10, spec.mac));
    return 'added' as const;
  }
  async setLinkUp(index: number, up: boolean) {
    this.calls.push(`up ${index} ${up}`);
  }
  async deleteLink(index: number) {
    this.calls.push(`delete ${index}`);
  }
}

function link(name: string, index: number, mac: string): LinkInfo {
  return { name, index, mac, up: true, running: true, carrier: true, operState: 'up', flags: 0, type: 1 };
}

test('Vmacs: creates the macvlan (private, virtual MAC), sets keepalived\'s sysctls before it is up, deletes it at close', async () => {
  const links = new FakeLinks();
  const sysctls: string[] = [];
  const vmacs = new Vmacs(links, silentLogger, async (path, value) => void sysctls.push(`${path}=${value}`));
  const instance = instanceConfig({ vmac: { name: 'vrrp.51', mac: '00:00:5e:00:01:33', xmitBase: false } });
  await vmacs.ensure([instance]);
  assert.deepEqual(links.calls, ['create vrrp.51 on 2 00:00:5e:00:01:33 private', 'up 10 true']);
  assert.deepEqual(sysctls, [
    'net/ipv4/conf/eth0/arp_ignore=1',
    'net/ipv4/conf/eth0/arp_filter=1',
    'net/ipv4/conf/eth0/arp_announce=2',
    'net/ipv4/conf/vrrp.51/arp_ignore=1',
    'net/ipv4/conf/vrrp.51/accept_local=1',
    'net/ipv4/conf/vrrp.51/promote_secondaries=1',
    'net/ipv6/conf/vrrp.51/disable_ipv6=1',
  ]);
  await vmacs.close();
  assert.deepEqual(links.calls.slice(2), ['delete 10']);
});

test('Vmacs: a VMAC left by an earlier run is taken over; an interface of that name with another MAC is refused', async () => {
  const links = new FakeLinks();
  links.links.set('vrrp.51', link('vrrp.51', 7, '00:00:5e:00:01:33'));
  const vmacs = new Vmacs(links, silentLogger, async () => undefined);
  await vmacs.ensure([instanceConfig({ vmac: { name: 'vrrp.51', mac: '00:00:5e:00:01:33', xmitBase: false } })]);
  assert.deepEqual(links.calls, ['up 7 true']);
  links.links.set('vrrp.52', link('vrrp.52', 8, '02:00:00:00:00:99'));
  await assert.rejects(vmacs.ensure([instanceConfig({ vrid: 52, vmac: { name: 'vrrp.52', mac: '00:00:5e:00:01:34', xmitBase: false } })]), ConfigError);
});
