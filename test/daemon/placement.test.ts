import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinkInfo } from '../../src/net/netlink/link.js';
import { placementDifference, type Placement } from '../../src/daemon/instance-factory.js';
import { instanceConfig } from '../support/instance-config.js';

const link = (index: number, name = 'eth0'): LinkInfo =>
  ({ index, name, mac: '02:00:00:00:00:01', up: true, running: true, carrier: true, operState: 'up' }) as LinkInfo;
const [vip] = instanceConfig().vips;

function placement(overrides: Partial<Placement> = {}): Placement {
  return { link: link(2), source: '10.0.0.1', multicastGroup: '224.0.0.18', vips: [{ config: vip!, ifindex: 2 }], macs: ['02:00:00:00:00:01'], ...overrides };
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
