import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HotstandbyConfig, InstanceConfig } from '../../src/config/model.js';
import { InstanceFactory, placementDifference, type HostView, type Placement } from '../../src/daemon/instance-factory.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { SocketGroups } from '../../src/daemon/socket-groups.js';
import type { AddressFlags, AddressInfo } from '../../src/net/netlink/address.js';
import type { LinkInfo } from '../../src/net/netlink/link.js';
import type { AddressClaimListener } from '../../src/daemon/address-claim-watch.js';
import { createFakeNative } from '../net/fake-native.js';
import { FakeTime } from '../support/fake-time.js';
import { instanceConfig } from '../support/instance-config.js';

const link = (index: number, name = 'eth0'): LinkInfo =>
  ({ index, name, mac: '02:00:00:00:00:01', up: true, running: true, carrier: true, operState: 'up' }) as LinkInfo;
const address = (index: number, text: string, secondary = false): AddressInfo =>
  ({ index, family: 4, address: text, prefixLength: 24, scope: 0, flags: { secondary } as AddressFlags }) as AddressInfo;
const [vip] = instanceConfig().vips;

function placement(overrides: Partial<Placement> = {}): Placement {
  return { link: link(2), source: '10.0.0.1', multicastGroup: '224.0.0.18', vips: [{ config: vip!, ifindex: 2 }], macs: ['02:00:00:00:00:01'], ...overrides };
}

function config(instances: InstanceConfig[], multicastGroup4 = '224.0.0.18'): HotstandbyConfig {
  return {
    global: { multicastGroup4, multicastGroup6: 'ff02::12', enableScriptSecurity: false, startupDelayMs: 0, processPriority: -10, garp: instanceConfig().garp },
    instances,
    checks: [],
    syncGroups: [],
  };
}

/** A factory over a host with eth0 (10.99.0.2 primary, 10.99.0.50 secondary), fake sockets and clock. */
function onFakeHost(running: HotstandbyConfig) {
  const links = new Map([['eth0', link(2)]]);
  const host = { addresses: [address(2, '10.99.0.2'), address(2, '10.99.0.50', true)] };
  const claimListeners = new Map<AddressClaimListener, string>();
  const sent: Buffer[] = [];
  const network: HostView = {
    link: (name) => links.get(name),
    linkByIndex: (index) => [...links.values()].find((l) => l.index === index),
    addresses: () => host.addresses,
    packetSender: () => ({ send: (frame) => sent.push(frame) > 0, close() {} }),
    watchAddressClaims: (_ifindex, _family, watched, listener) => {
      claimListeners.set(listener, watched);
      return () => claimListeners.delete(listener);
    },
    netlink: {
      addAddress: async () => 'added',
      deleteAddress: async () => undefined,
      addRoute: async () => 'added',
      deleteRoute: async () => undefined,
      addRule: async () => 'added',
      deleteRule: async () => undefined,
    },
  };
  const time = new FakeTime();
  const sockets = new SocketGroups(createFakeNative().binding, time, silentLogger);
  const conflicts: Array<{ instance: string; claimedBy: string; inMs: number }> = [];
  const factory = new InstanceFactory(running, {
    network, sockets, clock: time, timers: time, wallClock: () => new Date(0), log: silentLogger,
    addressClaimed: (runner, claimedBy, inMs) => conflicts.push({ instance: runner.config.name, claimedBy, inMs }),
  });
  const built = running.instances.map((instance) => factory.build(instance));
  const claim = (address: string, mac: string) => {
    for (const [listener, watched] of claimListeners) if (watched === address) listener({ address, mac });
  };
  return { factory, links, host, built, time, sent, claim, claimListeners, conflicts };
}

test('placementDifference: the same placement needs no rebuild', () => {
  assert.equal(placementDifference(placement(), placement()), undefined);
});

test('placementDifference names what moved: source address, re-created interface, multicast group, VIP device, MAC', () => {
  assert.equal(placementDifference(placement(), placement({ source: '10.0.0.5' })), 'source address 10.0.0.1 → 10.0.0.5');
  assert.equal(placementDifference(placement(), placement({ link: link(7) })), 'interface eth0 was re-created (index 2 → 7)');
  assert.equal(placementDifference(placement(), placement({ multicastGroup: '224.0.0.19' })), 'multicast group 224.0.0.18 → 224.0.0.19');
  assert.equal(placementDifference(placement(), placement({ vips: [{ config: vip!, ifindex: 9 }] })), 'VIP device eth0 was re-created');
  assert.equal(
    placementDifference(placement(), placement({ macs: ['02:00:00:00:00:02'] })),
    'hardware address of eth0 02:00:00:00:00:01 → 02:00:00:00:00:02',
  );
});

test('InstanceFactory.placementChanges: nothing to rebuild while the host is as it was', () => {
  const running = config([instanceConfig({ name: 'web' })]);
  const { factory } = onFakeHost(running);
  assert.deepEqual([...factory.placementChanges(running)], []);
});

test('InstanceFactory.placementChanges: a new primary address, a re-created interface and a new multicast group each rebuild the instance', () => {
  const running = config([instanceConfig({ name: 'web' })]);
  const { factory, links, host } = onFakeHost(running);

  host.addresses = [address(2, '10.99.0.50')];
  assert.deepEqual([...factory.placementChanges(running)], [['web', 'source address 10.99.0.2 → 10.99.0.50']]);

  host.addresses = [address(5, '10.99.0.2')];
  links.set('eth0', link(5));
  assert.deepEqual([...factory.placementChanges(running)], [['web', 'interface eth0 was re-created (index 2 → 5)']]);

  links.set('eth0', link(2));
  host.addresses = [address(2, '10.99.0.2')];
  assert.deepEqual([...factory.placementChanges(config(running.instances, '224.0.0.19'))], [['web', 'multicast group 224.0.0.18 → 224.0.0.19']]);
});

test('InstanceFactory.placementChanges refuses, as a start would, an instance whose interface is missing or has no address', () => {
  const running = config([instanceConfig({ name: 'web' })]);
  const { factory, host } = onFakeHost(running);
  const elsewhere = instanceConfig({ name: 'db', vrid: 52, interface: 'eth9', source: { file: 'k.conf', line: 12 } });
  assert.throws(() => factory.placementChanges(config([...running.instances, elsewhere])), /^ConfigError: k\.conf:12: interface: interface 'eth9' does not exist on this host$/);
  host.addresses = [];
  assert.throws(() => factory.placementChanges(running), /interface 'eth0' has no IPv4 address to send adverts from/);
});

test('a master announces its VIPs again two advert intervals after another MAC claimed one; a backup, its own MAC and other addresses never make it', () => {
  const running = config([instanceConfig({ name: 'web', priority: 200 })]);
  const { built, time, sent, claim, claimListeners, conflicts } = onFakeHost(running);
  const instance = running.instances[0]!;
  const vipAddress = instance.vips[0]!.address;
  const runner = built[0]!.runner;
  runner.start();
  assert.equal(runner.state, 'BACKUP');
  claim(vipAddress, '02:00:00:00:00:99'); // heard as a backup: not ours to defend
  time.advanceBy(20_000);
  assert.equal(runner.state, 'MASTER');
  const { masterRepeat, masterDelayMs, masterRefreshMs } = instance.garp;
  assert.equal(masterRefreshMs, 0);
  const settled = sent.length;
  assert.equal(settled, masterRepeat * (masterDelayMs > 0 ? 2 : 1) * instance.vips.length, "only the takeover announced");

  claim(vipAddress, '02:00:00:00:00:01'); // our own MAC
  claim('10.99.0.200', '02:00:00:00:00:99'); // not our VIP
  time.advanceBy(5_000);
  assert.equal(sent.length, settled, 'no defence against ourselves or for another address');

  assert.deepEqual(conflicts, [], 'no address conflict reported for a backup, our own MAC or another address');

  claim(vipAddress, '02:00:00:00:00:99');
  claim(vipAddress, '02:00:00:00:00:99'); // the same conflict, while its defence is pending
  assert.deepEqual(conflicts, [{ instance: 'web', claimedBy: '02:00:00:00:00:99', inMs: 2 * instance.advertIntervalMs }], 'one address conflict per defence, not per frame');
  time.advanceBy(2 * instance.advertIntervalMs - 1);
  assert.equal(sent.length, settled, 'not before the other router had time to yield');
  time.advanceBy(1);
  assert.equal(sent.length, settled + masterRepeat * instance.vips.length, "one burst of garp_master_repeat frames per VIP");

  built[0]!.dispose();
  assert.equal(claimListeners.size, 0, 'dispose stops watching');
});
