/** keepalived's vrrp_startup_delay: the daemon answers at once but its instances wait before starting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

test('vrrp_startup_delay: instances stay INIT for the delay, then run', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const conf = keepalivedConf({ version: 3, advertInt: 0.1, vips: [`${vip}/24`], priority: 150 }).replace(
    'global_defs {',
    'global_defs {\n  vrrp_startup_delay 2',
  );
  const a = new HotstandbyNode(lab, 'a', conf);
  await waitFor(async () => (await a.state()) !== undefined, { description: 'the control socket answers' });
  const answeredAt = performance.now();
  assert.equal(await a.state(), 'INIT', 'not started yet');
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a after the delay', timeoutMs: 15_000, intervalMs: 50 });
  const waitedMs = performance.now() - answeredAt;
  // The delay is 2 s from start-up; the socket answered a little after start-up began.
  assert.ok(waitedMs > 1500, `the instance took over after only ${waitedMs.toFixed(0)} ms`);
});
