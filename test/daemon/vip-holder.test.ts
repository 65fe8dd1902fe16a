import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressVipHolder, type AddressTable, type VipAddressSpec } from '../../src/daemon/vip-holder.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { VipConfig } from '../../src/config/model.js';
import { FileVipLedger, replay, VIP_LEDGER_FILE } from '../../src/daemon/vip-ledger.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

test('AddressVipHolder manages a configured VIP it found on the interface: removed on release (keepalived), other addresses untouched', async () => {
  const table = new MemoryTable();
  table.present.add('10.0.0.10');
  table.present.add('10.0.0.99'); // not configured: never touched
  const holder = new AddressVipHolder([{ config: vip('10.0.0.10'), ifindex: 2 }], table, silentLogger);
  holder.take();
  holder.release();
  await holder.settled();
  assert.deepEqual([...table.present], ['10.0.0.99']);
  assert.ok(!table.requests.some((r) => r.includes('10.0.0.99')));
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

/** A table that can also list what is on the interface (the RTM_GETADDR dump). */
class ListingTable extends MemoryTable {
  async addresses(): Promise<Array<{ address: string }>> {
    return [...this.present].map((address) => ({ address }));
  }
}

test('a VIP an earlier (killed) run added, and a configured VIP put there by hand, are removed by the next run when not master', async () => {
  for (const Table of [MemoryTable, ListingTable]) {
    const dir = mkdtempSync(join(tmpdir(), 'hs-ledger-'));
    try {
      const table = new Table();
      table.present.add('10.0.0.11'); // configured by hand before any daemon ran
      const vips = [{ config: vip('10.0.0.10'), ifindex: 2 }, { config: vip('10.0.0.11'), ifindex: 2 }];
      const first = new AddressVipHolder(vips, table, silentLogger, FileVipLedger.open(join(dir, VIP_LEDGER_FILE)));
      first.take();
      await first.settled();
      assert.deepEqual([...table.present].sort(), ['10.0.0.10', '10.0.0.11']);
      // kill -9: no release; the kernel keeps the address. The next run reads the ledger.
      const second = new AddressVipHolder(vips, table, silentLogger, FileVipLedger.open(join(dir, VIP_LEDGER_FILE)));
      second.releaseStale();
      await second.settled();
      // The hand-made copy was taken over by the first run (recorded), so it is debris too.
      const expected: string[] = [];
      assert.deepEqual([...table.present], expected, `${Table.name}: the debris is gone, the hand-made copy too`);
      const deletes = () => table.requests.filter((r) => r.startsWith('del')).length;
      const before = deletes();
      const third = new AddressVipHolder(vips, table, silentLogger, FileVipLedger.open(join(dir, VIP_LEDGER_FILE)));
      third.releaseStale();
      await third.settled();
      assert.equal(deletes(), before, `${Table.name}: nothing recorded or present any more, nothing deleted`);
      assert.deepEqual([...table.present], expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a stale release does not remove VIPs wanted again by the time it runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-ledger-'));
  try {
    const table = new ListingTable();
    const vips = [{ config: vip('10.0.0.10'), ifindex: 2 }];
    const first = new AddressVipHolder(vips, table, silentLogger, FileVipLedger.open(join(dir, VIP_LEDGER_FILE)));
    first.take();
    await first.settled();
    const second = new AddressVipHolder(vips, table, silentLogger, FileVipLedger.open(join(dir, VIP_LEDGER_FILE)));
    second.releaseStale();
    second.take(); // becoming master right after starting
    await second.settled();
    assert.deepEqual([...table.present], ['10.0.0.10']);
    second.release();
    await second.settled();
    assert.equal(table.present.size, 0, 'the address an earlier run added is ours to remove');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the VIP ledger replays its journal and survives a torn last line', () => {
  assert.deepEqual([...replay('+2 10.0.0.10\n+2 10.0.0.11\n-2 10.0.0.10\n+2 10.0')], ['2 10.0.0.11', '2 10.0']);
  assert.deepEqual([...replay('+2 10.0.0.10\n-')], ['2 10.0.0.10']);
  const dir = mkdtempSync(join(tmpdir(), 'hs-ledger-'));
  try {
    const ledger = FileVipLedger.open(join(dir, VIP_LEDGER_FILE));
    ledger.add('2 10.0.0.10');
    ledger.add('3 fd00::1');
    ledger.delete('2 10.0.0.10');
    ledger.close();
    assert.deepEqual([...replay(readFileSync(join(dir, VIP_LEDGER_FILE), 'utf8'))], ['3 fd00::1']);
    FileVipLedger.open(join(dir, VIP_LEDGER_FILE)).close();
    assert.equal(readFileSync(join(dir, VIP_LEDGER_FILE), 'utf8'), '+3 fd00::1\n', 'compacted on open');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a configured VIP put on a backup by hand (or left by keepalived) is removed when the instance starts as backup; unconfigured addresses stay', async () => {
  const table = new ListingTable();
  table.present.add('10.0.0.12');
  table.present.add('10.0.0.99');
  const holder = new AddressVipHolder([{ config: vip('10.0.0.12'), ifindex: 2 }], table, silentLogger);
  holder.releaseStale();
  await holder.settled();
  assert.deepEqual([...table.present], ['10.0.0.99']);
});
