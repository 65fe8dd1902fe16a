/**
 * A backup whose daemon stalls (SIGSTOP: a VM pause, a starved or swapping process) for longer
 * than the Master_Down_Interval while the master keeps advertising: on resume its socket holds the
 * master's adverts and its master-down deadline is long past. It must read the adverts before it
 * acts on the deadline, so it stays BACKUP and never puts the VIP up beside the master's
 * (RFC 5798 §6.4.2: Master_Down_Timer fires only when no advert arrived in the interval).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf, transitionsOf } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

test('a backup stalled past the master-down interval reads the adverts that arrived meanwhile and stays BACKUP', { skip, timeout: 120_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const spec = { version: 3 as const, advertInt: 0.1, vips: [`${vip}/24`] };
  const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...spec, priority: 150 }));
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a' });
  const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec, priority: 100 }));
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b BACKUP' });
  const before = (await transitionsOf(b, 'VI_1')).length;
  for (let i = 0; i < 5; i++) {
    process.kill(b.process.pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 800 + i * 100)); // ≥ 2 × Master_Down_Interval (≈ 0.36 s)
    process.kill(b.process.pid, 'SIGCONT');
    // Long enough for b to have acted on the past deadline, and to have read on.
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal((await b.state()), 'BACKUP', `stall ${i + 1}: b still BACKUP`);
  }
  const after = await transitionsOf(b, 'VI_1');
  assert.equal(after.length, before, `b made no transition: ${JSON.stringify(after.slice(before))}`);
  assert.equal(await holders(lab, vip), 'a');
});
