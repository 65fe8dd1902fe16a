/**
 * Accept_Mode off against a fake nf_tables: which instances drop, what the table holds as
 * instances take and leave master, and debris removal at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptModeFirewall, dropsTraffic, type DropTable } from '../../src/daemon/accept-mode.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { AddressFamily } from '../../src/vrrp/advert.js';
import { instanceConfig } from '../support/instance-config.js';

class FakeTable implements DropTable {
  readonly calls: string[] = [];
  opened = 0;
  async block(family: AddressFamily, addresses: readonly string[]) {
    this.calls.push(`block${family} ${addresses.join(',')}`);
  }
  async removeTable(family: AddressFamily) {
    this.calls.push(`remove${family}`);
  }
  close() {
    this.calls.push('close');
  }
}

const source = { file: 't', line: 1 };
const v6 = { address: 'fd00::10', family: 6 as const, prefixLength: 64, device: 'eth0', scope: 'global' as const, excluded: true, source };

test('only a non-owner with accept off drops traffic', () => {
  assert.equal(dropsTraffic(instanceConfig({ accept: false })), true);
  assert.equal(dropsTraffic(instanceConfig({ accept: false, priority: 255 })), false);
  assert.equal(dropsTraffic(instanceConfig({ accept: true })), false);
});

test('the table holds the VIPs (advertised and excluded, per family) of the no_accept instances that are master', async () => {
  const table = new FakeTable();
  const firewall = new AcceptModeFirewall(() => ((table.opened += 1), table), silentLogger);
  const one = instanceConfig({ name: 'one', accept: false });
  const two = instanceConfig({ name: 'two', accept: false, vips: [{ ...v6, excluded: false }] });
  await firewall.prepare([one, two, instanceConfig({ name: 'open' })]);
  assert.deepEqual(table.calls, ['remove4', 'remove6'], 'a crashed run\'s tables go first');
  assert.equal(firewall.blockerFor(instanceConfig({ name: 'open' })), undefined);
  const b1 = firewall.blockerFor(one);
  const b2 = firewall.blockerFor(two);
  b1?.take();
  b2?.take();
  await b2?.settled();
  b1?.release();
  await b1?.settled();
  assert.deepEqual(table.calls.slice(2), ['block4 10.99.0.100,10.99.0.101', 'block6 fd00::10', 'block4 ']);
  await firewall.close();
  assert.deepEqual(table.calls.slice(5), ['remove4', 'remove6', 'close']);
  assert.equal(table.opened, 1);
});

test('without a no_accept instance nf_tables is never opened', async () => {
  const firewall = new AcceptModeFirewall(() => assert.fail('opened'), silentLogger);
  await firewall.prepare([instanceConfig()]);
  await firewall.close();
});

test('a kernel without nf_tables makes prepare reject (the daemon refuses to start)', async () => {
  const firewall = new AcceptModeFirewall(
    () => ({
      block: async () => undefined,
      removeTable: async () => {
        throw Object.assign(new Error('Netlink request nftables remove table failed: EPROTONOSUPPORT'), { code: 'EPROTONOSUPPORT' });
      },
      close: () => undefined,
    }),
    silentLogger,
  );
  await assert.rejects(firewall.prepare([instanceConfig({ accept: false })]), /EPROTONOSUPPORT/);
});
