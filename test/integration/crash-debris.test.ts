/**
 * kill -9 leaves the killed daemon's VIPs on the interface (the kernel keeps them). The restarted
 * daemon must remove them unless it becomes master, so that exactly one node answers ARP for the
 * VIP (issue 10 §2; keepalived removes configured VIPs when an instance starts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

/** advert_int 0.1 s: Master_Down_Interval ≈ 0.36 s; the deadlines below are generous for a loaded machine. */
const spec = (vip: string) => ({ version: 3 as const, advertInt: 0.1, vips: [`${vip}/24`] });

/** `holder` alone holds the VIP now, and still after a while (no debris reappears, no flapping). */
async function heldOnlyBy(lab: Lab, vip: string, holder: string, why: string): Promise<void> {
  await waitFor(async () => (await holders(lab, vip)) === holder, { description: `${why}: VIP on ${holder} only`, timeoutMs: 15_000, intervalMs: 20 });
  for (let i = 0; i < 10; i++) {
    assert.equal(await holders(lab, vip), holder, `${why}: the VIP stays on ${holder} only`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * a (nopreempt, priority 150) master and b backup, then kill -9 of a: b takes over and a's VIP is
 * left in a's kernel beside b's.
 */
async function killedMasterLeftItsVip(lab: Lab): Promise<{ vip: string; confA: string; b: HotstandbyNode }> {
  const vip = lab.vip4(0);
  const confA = keepalivedConf({ ...spec(vip), priority: 150, nopreempt: true });
  const a = new HotstandbyNode(lab, 'a', confA);
  await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a is MASTER' });
  const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec(vip), priority: 100, nopreempt: true }));
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
  await heldOnlyBy(lab, vip, 'a', 'settled');
  await a.process.stop('SIGKILL');
  await waitFor(async () => (await b.state()) === 'MASTER', { description: 'b takes over from the killed a' });
  assert.equal(await holders(lab, vip), 'a,b', 'the killed daemon left its VIP (the defect this test guards against)');
  return { vip, confA, b };
}

test('kill -9 of the master, restarted (nopreempt): its VIP left in the kernel is removed, the stand-in keeps it', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { vip, confA, b } = await killedMasterLeftItsVip(lab);

    const restartedAt = performance.now();
    const restarted = new HotstandbyNode(lab, 'a', confA);
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'the debris on a removed', timeoutMs: 15_000, intervalMs: 10 });
    t.diagnostic(`debris gone ${(performance.now() - restartedAt).toFixed(0)} ms after the restart was spawned`);
    await waitFor(async () => (await restarted.state()) === 'BACKUP', { description: 'restarted a is BACKUP (nopreempt)' });
    await heldOnlyBy(lab, vip, 'b', 'after the restart');
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(await lab.arpEntry('client', vip), lab.host('b').mac, 'the client reaches the master');
  });
});

test('kill -9 of a backup standing in for a stopped master, restarted after the master is back: only the master holds the VIP', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const confA = keepalivedConf({ ...spec(vip), priority: 150 });
    const confB = keepalivedConf({ ...spec(vip), priority: 100 });
    const a = new HotstandbyNode(lab, 'a', confA);
    const b = new HotstandbyNode(lab, 'b', confB);
    await heldOnlyBy(lab, vip, 'a', 'settled');
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });

    assert.deepEqual(await a.stop(), { code: 0, signal: null });
    await heldOnlyBy(lab, vip, 'b', 'b stands in for the stopped a');
    await b.process.stop('SIGKILL');
    const a2 = new HotstandbyNode(lab, 'a', confA);
    await waitFor(async () => (await a2.state()) === 'MASTER', { description: 'a is MASTER again' });
    assert.equal(await holders(lab, vip), 'a,b', 'the killed stand-in left its VIP (the defect this test guards against)');

    const restartedAt = performance.now();
    const b2 = new HotstandbyNode(lab, 'b', confB);
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'the debris on b removed', timeoutMs: 15_000, intervalMs: 10 });
    t.diagnostic(`debris gone ${(performance.now() - restartedAt).toFixed(0)} ms after the restart was spawned`);
    await waitFor(async () => (await b2.state()) === 'BACKUP', { description: 'restarted b is BACKUP' });
    await heldOnlyBy(lab, vip, 'a', 'after the restart of b');
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(await lab.arpEntry('client', vip), lab.host('a').mac, 'the client reaches the master');
  });
});

test('kill -9 of the master, restarted with a configuration it refuses (exit 78): the refusal still removes the VIP it left', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { vip, b } = await killedMasterLeftItsVip(lab);

    // The same runtime directory, a configuration that does not even parse: the daemon never
    // gets as far as its instances, whose start removes such debris.
    const refused = new HotstandbyNode(lab, 'a', 'vrrp_instance VI_1 {\n  priority banana\n', 'hs-a');
    const exit = await refused.process.exited;
    assert.equal(exit.code, 78, 'the configuration error is refused with exit 78');
    assert.equal(await holders(lab, vip), 'b', 'the refusing daemon removed the VIP its killed predecessor left');
    const log = await refused.process.readLog();
    assert.match(log, /removed a VIP left on the interface by an earlier run/, 'it says what it removed');
    assert.ok(log.includes(vip), 'naming the address');
    await heldOnlyBy(lab, vip, 'b', 'after the refused start');
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(await lab.arpEntry('client', vip), lab.host('b').mac, 'the client reaches the master');
  });
});
