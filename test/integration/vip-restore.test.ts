/**
 * The daemon and the interface's address table: a VIP deleted by hand while master comes back,
 * and an address the daemon did not add is never removed by it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

/** The `ip -o addr` lines of eth0 in `host` that carry `address` (with its prefix length). */
async function addressLines(lab: Lab, host: string, address: string): Promise<string[]> {
  const { stdout } = await lab.exec(host, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
  return stdout.split('\n').filter((line) => line.includes(` ${address}/`));
}

test('a VIP deleted by hand from the master comes back, and is removed on SIGTERM as the daemon added it', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const a = new HotstandbyNode(lab, 'a', keepalivedConf({ version: 3, advertInt: 0.1, priority: 150, vips: [`${vip}/24`] }));
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a is MASTER' });
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a' });

    await lab.exec('a', ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
    await waitFor(async () => (await addressLines(lab, 'a', vip)).length === 1, { description: 'the VIP back on a', timeoutMs: 10_000, intervalMs: 20 });
    assert.match((await addressLines(lab, 'a', vip))[0] ?? '', new RegExp(`inet ${vip.replaceAll('.', '\\.')}/24 `), 'restored with its prefix length');
    assert.equal(await a.state(), 'MASTER', 'the deletion is no reason to leave MASTER');
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);

    // Twice in a row: the restore is not a one-off.
    await lab.exec('a', ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
    await waitFor(async () => (await addressLines(lab, 'a', vip)).length === 1, { description: 'the VIP back on a again', timeoutMs: 10_000, intervalMs: 20 });

    // The restored address is the daemon's own: leaving service takes it away.
    assert.deepEqual(await a.stop(), { code: 0, signal: null });
    assert.deepEqual(await addressLines(lab, 'a', vip), [], 'the daemon removed the VIP it had put back');
  });
});

test('a configured VIP already on the interface is managed (removed on SIGTERM, as keepalived); an unconfigured address stays', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const other = lab.vip4(1);
    const unconfigured = lab.vip4(2);
    // The first VIP was put there by hand (or left by keepalived); the third is no instance's.
    await lab.exec('a', ['ip', 'addr', 'add', `${vip}/24`, 'dev', 'eth0']);
    await lab.exec('a', ['ip', 'addr', 'add', `${unconfigured}/24`, 'dev', 'eth0']);
    const a = new HotstandbyNode(lab, 'a', keepalivedConf({ version: 3, advertInt: 0.1, priority: 150, vips: [`${vip}/24`, `${other}/24`] }));
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a is MASTER' });
    await waitFor(async () => (await holders(lab, other)) === 'a', { description: 'the daemon-added VIP on a' });
    await waitFor(async () => (await addressLines(lab, 'a', vip)).length === 1, { description: 'the configured VIP on a, once' });

    assert.deepEqual(await a.stop(), { code: 0, signal: null });
    assert.deepEqual(await addressLines(lab, 'a', other), [], 'the VIP the daemon added is gone');
    assert.deepEqual(await addressLines(lab, 'a', vip), [], 'the configured VIP that was there before is gone too');
    assert.equal((await addressLines(lab, 'a', unconfigured)).length, 1, 'the address no instance configures is still there');
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', unconfigured]);
  });
});
