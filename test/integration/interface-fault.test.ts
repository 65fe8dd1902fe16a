/**
 * The instance's interface going down is a fault (as in keepalived): the master leaves MASTER at
 * once, drops its VIP and lets the peer take over; when the interface comes back it rejoins as
 * BACKUP and, with the higher priority and preempt on, becomes MASTER again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf, transitionsOf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

/** A pair at 100 ms adverts: a (150) master, b (100) backup; the lab needs IPv6 for family 6. */
async function startPair(lab: Lab, family: 4 | 6 = 4): Promise<{ a: HotstandbyNode; b: HotstandbyNode; vip: string }> {
  const vip = family === 4 ? lab.vip4(0) : lab.vip6(0);
  const spec = { version: 3 as const, advertInt: 0.1, vips: [family === 4 ? `${vip}/24` : `${vip}/64`] };
  const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...spec, priority: 150 }));
  const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec, priority: 100 }));
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a (priority 150) only' });
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
  return { a, b, vip };
}

for (const family of [4, 6] as const) {
  test(`interface down inside the master (IPv${family}): FAULT, the peer takes over; up again: BACKUP, then MASTER by preemption`, { skip }, async (t) => {
    const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: family === 6 });
    t.after(() => lab.destroy());
    await withLabLogs(t, lab, async () => {
      const { a, b, vip } = await startPair(lab, family);
      const before = (await transitionsOf(a)).length;

      await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
      await waitFor(async () => (await a.state()) === 'FAULT', { description: 'a in FAULT with eth0 down' });
      await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b only' });
      assert.equal(await b.state(), 'MASTER');
      await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
      assert.equal(await lab.arpEntry('client', vip), lab.host('b').mac, 'the client follows the VIP to b');

      await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'up']);
      await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a after eth0 came up' });
      await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b back to BACKUP' });
      assert.equal(await a.state(), 'MASTER');
      // The way back goes through BACKUP (RFC 5798 §6.4.1: a router starting up with priority
      // below 255 waits for the master-down timer), never straight from FAULT to MASTER.
      assert.deepEqual((await transitionsOf(a)).slice(before), ['FAULT', 'BACKUP', 'MASTER']);
      await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
      assert.equal(await lab.arpEntry('client', vip), lab.host('a').mac, 'the client follows the VIP back to a');
    });
  });
}

test('carrier lost at the switch side: FAULT and takeover; carrier back: MASTER again', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { a, b, vip } = await startPair(lab);
    const before = (await transitionsOf(a)).length;

    await lab.cutLink('a');
    await waitFor(async () => (await a.state()) === 'FAULT', { description: 'a in FAULT on carrier loss' });
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b only' });
    assert.equal(await b.state(), 'MASTER');

    await lab.healLink('a');
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a after the carrier returned' });
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b back to BACKUP' });
    assert.deepEqual((await transitionsOf(a)).slice(before), ['FAULT', 'BACKUP', 'MASTER']);
  });
});

test('a cut that leaves the carrier up is no fault: the isolated master stays MASTER (split brain)', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { a, b, vip } = await startPair(lab);

    await lab.cutLink('a', { carrier: false });
    await waitFor(async () => (await b.state()) === 'MASTER', { description: 'b MASTER once a falls silent' });
    await waitFor(async () => (await holders(lab, vip)) === 'a,b', { description: 'the VIP on both sides of the cut' });
    assert.equal(await a.state(), 'MASTER', 'only missing adverts tell, and a hears none to miss');

    // Healed: b hears the higher priority and yields (RFC 5798 §6.4.3), a stays.
    await lab.healLink('a');
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a only after healing' });
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b back to BACKUP' });
    assert.equal(await a.state(), 'MASTER');
  });
});

for (const family of [4, 6] as const) {
  test(`the backup's interface goes down and up (IPv${family}): FAULT, then BACKUP again, hearing the master`, { skip }, async (t) => {
    const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: family === 6 });
    t.after(() => lab.destroy());
    await withLabLogs(t, lab, async () => {
      const { a, b, vip } = await startPair(lab, family);

      await lab.exec('b', ['ip', 'link', 'set', 'eth0', 'down']);
      await waitFor(async () => (await b.state()) === 'FAULT', { description: 'b in FAULT with eth0 down' });
      await lab.exec('b', ['ip', 'link', 'set', 'eth0', 'up']);
      await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b back to BACKUP' });

      // Were b deaf after the flap (a lost group membership or socket), it would take over
      // after its master-down interval (0.3 s + skew): watch well past that.
      const received = (await b.controlStatus()).instances[0]?.counters.advertsReceived ?? 0;
      await waitFor(async () => ((await b.controlStatus()).instances[0]?.counters.advertsReceived ?? 0) >= received + 20, {
        description: 'b hears 20 more adverts from a after the flap',
      });
      assert.equal(await b.state(), 'BACKUP', 'b stays BACKUP');
      assert.equal(await holders(lab, vip), 'a', 'the VIP stays on a alone');
      const [status] = await b.status();
      assert.equal(status?.masterAddress, family === 4 ? lab.host('a').ipv4 : lab.host('a').linkLocal);
      assert.equal(await a.state(), 'MASTER');
    });
  });
}
