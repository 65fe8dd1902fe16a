import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressVipHolder, type AddressTable, type VipAddressSpec } from '../../src/daemon/vip-holder.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { VipConfig } from '../../src/config/model.js';

const source = { file: 't', line: 1 };
const vip = (address: string, family: 4 | 6 = 4): VipConfig => ({
  address,
  family,
  prefixLength: family === 4 ? 24 : 64,
  device: 'eth0',
  scope: 'global',
  excluded: false,
  source,
});

/** An in-memory address table with the kernel's answers. */
class MemoryTable implements AddressTable {
  readonly present = new Set<string>();
  readonly requests: string[] = [];
  async addAddress(spec: VipAddressSpec): Promise<'added' | 'exists'> {
    this.requests.push(`add ${spec.address}${spec.nodad ? ' nodad' : ''}`);
    if (this.present.has(spec.address)) return 'exists';
    this.present.add(spec.address);
    return 'added';
  }
  async deleteAddress(spec: VipAddressSpec): Promise<void> {
    this.requests.push(`del ${spec.address}`);
    if (!this.present.delete(spec.address)) throw Object.assign(new Error('gone'), { code: 'EADDRNOTAVAIL' });
  }
}

test('AddressVipHolder adds on take and removes on release, IPv6 without DAD', async () => {
  const table = new MemoryTable();
  const holder = new AddressVipHolder([{ config: vip('10.0.0.10'), ifindex: 2 }, { config: vip('fd00::10', 6), ifindex: 2 }], table, silentLogger);
  holder.take();
  await holder.settled();
  assert.deepEqual([...table.present].sort(), ['10.0.0.10', 'fd00::10']);
  assert.ok(table.requests.includes('add fd00::10 nodad'));
  holder.release();
  await holder.settled();
  assert.equal(table.present.size, 0);
});

test('AddressVipHolder never removes an address it did not add', async () => {
  const table = new MemoryTable();
  table.present.add('10.0.0.10');
  const holder = new AddressVipHolder([{ config: vip('10.0.0.10'), ifindex: 2 }], table, silentLogger);
  holder.take();
  holder.release();
  await holder.settled();
  assert.ok(table.present.has('10.0.0.10'));
  assert.ok(!table.requests.some((r) => r.startsWith('del')));
});

test('AddressVipHolder restores a VIP deleted while master, not while backup', async () => {
  const table = new MemoryTable();
  const holder = new AddressVipHolder([{ config: vip('10.0.0.10'), ifindex: 2 }], table, silentLogger);
  holder.take();
  await holder.settled();
  table.present.delete('10.0.0.10');
  holder.restoreIfOurs(2, '10.0.0.10');
  await holder.settled();
  assert.ok(table.present.has('10.0.0.10'));
  holder.release();
  await holder.settled();
  holder.restoreIfOurs(2, '10.0.0.10');
  await holder.settled();
  assert.ok(!table.present.has('10.0.0.10'));
});

test('AddressVipHolder keeps requests in order when take and release alternate quickly', async () => {
  const table = new MemoryTable();
  const holder = new AddressVipHolder([{ config: vip('10.0.0.10'), ifindex: 2 }], table, silentLogger);
  holder.take();
  holder.release();
  holder.take();
  await holder.settled();
  assert.ok(table.present.has('10.0.0.10'), 'the last wish (take) wins');
});
