/**
 * A hotstandby pair on a lab LAN: election, the client's view of the VIP, link cut and heal,
 * and a graceful stop. Real raw sockets, real netlink, real ARP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

test('a hotstandby pair elects, fails over on a link cut, preempts back and hands over on SIGTERM', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const spec = { version: 2 as const, advertInt: 1, vips: [`${vip}/24`], authPass: 'pairpass' };
  const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...spec, priority: 150 }));
  const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec, priority: 100 }));

  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a (priority 150) only', timeoutMs: 15_000 });
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
  const [bStatus] = await b.status();
  assert.equal(bStatus?.masterAddress, lab.host('a').ipv4, 'b names a as the master it hears');

  // The client reaches the VIP, and its ARP entry points at the master's MAC.
  await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
  assert.equal(await lab.arpEntry('client', vip), lab.host('a').mac);

  // Cable pulled at a: a goes to FAULT, b takes the VIP and the client follows it.
  await lab.cutLink('a');
  await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b after the cut', timeoutMs: 15_000 });
  assert.equal(await a.state(), 'FAULT');
  await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
  assert.equal(await lab.arpEntry('client', vip), lab.host('b').mac, 'gratuitous ARP moved the client to b');

  // Healed: a (higher priority, preempt on) takes the VIP back.
  await lab.healLink('a');
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a after healing', timeoutMs: 15_000 });
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b back to BACKUP' });

  // SIGTERM: a sends priority 0, so b takes over after Skew_Time (0.61 s), far sooner than the
  // 3.6 s Master_Down_Interval it would need if a had just vanished.
  const stoppedAt = performance.now();
  const exit = await a.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
  await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b after SIGTERM on a', timeoutMs: 15_000, intervalMs: 20 });
  const tookMs = performance.now() - stoppedAt;
  assert.ok(tookMs < 3000, `takeover after SIGTERM took ${tookMs.toFixed(0)} ms, as if no priority 0 advert was seen`);
});
