/**
 * Clients follow the survivor of a split (issue 10 §3). The master stalls (SIGSTOP, or a lossy
 * spell), the backup takes over and moves the client with its GARPs, the master comes back and
 * wins by priority, the backup yields. The master, hearing the backup's lower-priority adverts,
 * announces its VIPs again (keepalived's garp_lower_prio_repeat), so the client's neighbour entry
 * points at the master again without waiting for its own ARP entry to expire. When the master
 * heard none of the backup's adverts, the backup's GARPs (or NAs) themselves make it announce
 * again (address-defence.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { gratuitousArps, holders, settledPair, transitionsOf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

/** After the split healed: the client's entry is a's, a answers, and a announced itself (a GARP from a). */
async function clientBackOnMaster(lab: Lab, vip: string, capturePath: Promise<string>, healedAt: number): Promise<number> {
  const aMac = lab.host('a').mac;
  await waitFor(async () => (await lab.neighbour('client', vip))?.mac === aMac, { description: "the client's neighbour entry points at a", timeoutMs: 10_000, intervalMs: 20 });
  const followedMs = performance.now() - healedAt;
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a only', timeoutMs: 10_000, intervalMs: 20 });
  await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
  const arps = await gratuitousArps(await capturePath, vip);
  assert.ok(arps.some((g) => g.mac === aMac), `a announced its VIP again after the split (GARPs seen: ${JSON.stringify(arps)})`);
  return followedMs;
}

test('after SIGSTOP/SIGCONT of the master, the client follows it back at once', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { vip, a, b } = await settledPair(lab);
    process.kill(a.process.pid, 'SIGSTOP');
    try {
      await waitFor(async () => (await b.state()) === 'MASTER', { description: 'b takes over from the stalled a', timeoutMs: 10_000, intervalMs: 20 });
      await waitFor(async () => (await lab.neighbour('client', vip))?.mac === lab.host('b').mac, { description: "b's GARPs moved the client", timeoutMs: 10_000, intervalMs: 20 });
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      process.kill(a.process.pid, 'SIGCONT');
    }
    // Capture from the moment a runs again: every GARP of a in it was sent after the split.
    const capture = await lab.capture('client', 'arp');
    const healedAt = performance.now();
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b yields to a', timeoutMs: 10_000, intervalMs: 20 });
    const ms = await clientBackOnMaster(lab, vip, (async () => { await new Promise((r) => setTimeout(r, 1500)); return capture.stop(); })(), healedAt);
    t.diagnostic(`client back on a ${ms.toFixed(0)} ms after SIGCONT`);
  });
});

test('after a lossy spell that let the backup take over, the client follows the master back at once', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { vip, b } = await settledPair(lab);
    // 30 % loss of what a sends, for 2.5 s, repeated until b has taken over at least once (b
    // needs four adverts of a lost in a row: about one spell in five). a hears b's takeover
    // advert, since only a's own frames are lost. (When a hears none of b's adverts: next test.)
    let spells = 0;
    let capture;
    // b may have been MASTER for a moment at start-up (it won the start-up race, then yielded):
    // only a takeover during a spell counts.
    const takeovers = async () => (await transitionsOf(b)).filter((s) => s === 'MASTER').length;
    const before = await takeovers();
    for (;;) {
      spells++;
      capture = await lab.capture('client', 'arp', { name: `capture-spell-${spells}` });
      await lab.setImpairment('a', { lossPercent: 30 });
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await lab.setImpairment('a', {});
      if ((await takeovers()) > before || spells >= 25) break;
      await capture.stop();
    }
    assert.ok((await takeovers()) > before, `b never took over in ${spells} lossy spells`);
    const healedAt = performance.now();
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b back to BACKUP', timeoutMs: 10_000, intervalMs: 20 });
    const stop = capture.stop.bind(capture);
    const ms = await clientBackOnMaster(lab, vip, (async () => { await new Promise((r) => setTimeout(r, 1500)); return stop(); })(), healedAt);
    t.diagnostic(`client back on a ${ms.toFixed(0)} ms after the loss ended (${spells} spell(s))`);
  });
});

for (const family of [4, 6] as const) {
  test(`IPv${family}: when the master hears none of the backup's adverts, the backup's announcements make it announce again and the client follows it back`, { skip }, async (t) => {
    const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: family === 6 });
    t.after(() => lab.destroy());
    await withLabLogs(t, lab, async () => {
      const { vip, a, b } = await settledPair(lab, family);
      // A filter on a's link drops VRRP both ways (ARP, neighbour discovery and the rest pass): b
      // takes over and moves the client; then a's adverts pass again and b yields, but b's adverts
      // (its takeover and its yield) never reach a. No VRRP rule (and no keepalived option) tells
      // a that the client moved. While both are master, each defends its VIP against the other's
      // announcements at doubling gaps; the client is on b for most of that time.
      // First let a's start-up announcements end (the second bursts come garp_master_delay, 1 s, later).
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await lab.setImpairment('a', { direction: 'both', dropProtocols: [112] });
      await waitFor(async () => (await b.state()) === 'MASTER', { description: 'b takes over', timeoutMs: 10_000, intervalMs: 20 });
      await waitFor(async () => (await lab.neighbour('client', vip))?.mac === lab.host('b').mac, { description: "b's announcements moved the client", timeoutMs: 10_000, intervalMs: 20 });
      await lab.setImpairment('a', { direction: 'to-host', dropProtocols: [112] });
      const healedAt = performance.now();
      await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b yields to a', timeoutMs: 10_000, intervalMs: 20 });
      await waitFor(async () => (await lab.neighbour('client', vip))?.mac === lab.host('a').mac, { description: "the client's neighbour entry points at a", timeoutMs: 10_000, intervalMs: 20 });
      const ms = performance.now() - healedAt;
      await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a only', timeoutMs: 10_000, intervalMs: 20 });
      await lab.exec('client', ['ping', `-${family}`, '-c', '1', '-W', '2', vip]);
      const stats = await lab.impairmentStats('a');
      assert.ok((stats?.toHost.dropped ?? 0) > 0, `the filter dropped b's adverts to a (${JSON.stringify(stats)})`);
      const { counters } = (await getJson(controlSocketPath(a.runtimeDir), '/v1/instances/VI_1')) as { counters: { vipClaims: number; vipDefences: number } };
      assert.ok(counters.vipDefences >= 1, `a defended (${JSON.stringify(counters)})`);
      t.diagnostic(`client back on a ${ms.toFixed(0)} ms after a's adverts passed again; a heard ${counters.vipClaims} claims, defended ${counters.vipDefences} times`);
    });
  });
}
