/**
 * A 2 s SIGSTOP of the master's daemon (a VM pause, as in issue 11's lab) with equal priorities:
 * the peer takes over, and on SIGCONT the stopped node must not win the role back by its higher
 * address — the peer's data moved on while it was stopped (a promoted database took writes), so
 * winning back was a second failover of no use (state-machine.ts noticeStall).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, signalProcessTree, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf, transitionsOf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

test('SIGSTOP of the master’s daemon for 2 s, equal priorities: the peer that took over keeps the role after SIGCONT', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    // Equal priorities: the higher address wins the election (RFC 5798 §6.4.3), and would win it back.
    const conf = keepalivedConf({ version: 3, advertInt: 0.1, vips: [`${vip}/24`], priority: 100 });
    // An equal-priority backup accepts whichever master it hears first: start the one with the
    // higher address first, so that it is the master.
    const bytes = (host: string) => Buffer.from(lab.host(host).ipv4.split('.').map(Number));
    const [high, low] = Buffer.compare(bytes('a'), bytes('b')) > 0 ? ['a', 'b'] : ['b', 'a'];
    const stopped = new HotstandbyNode(lab, high, conf);
    await waitFor(async () => (await stopped.state()) === 'MASTER', { description: `${high} (the higher address) MASTER` });
    const peer = new HotstandbyNode(lab, low, conf);
    await waitFor(async () => (await peer.state()) === 'BACKUP', { description: `${low} BACKUP` });
    await waitFor(async () => (await holders(lab, vip)) === stopped.host, { description: `VIP on ${stopped.host}` });

    const stoppedAt = performance.now();
    signalProcessTree(stopped.process.pid, 'SIGSTOP');
    try {
      await waitFor(async () => (await peer.state()) === 'MASTER', { description: `${peer.host} takes over from the stopped ${stopped.host}`, timeoutMs: 10_000, intervalMs: 20 });
      const tookOverMs = performance.now() - stoppedAt;
      t.diagnostic(`${peer.host} took over ${tookOverMs.toFixed(0)} ms after the SIGSTOP`);
      await sleep(Math.max(0, 2000 - tookOverMs));
    } finally {
      signalProcessTree(stopped.process.pid, 'SIGCONT');
    }
    const peerTransitions = (await transitionsOf(peer, 'VI_1')).length;

    await waitFor(async () => (await stopped.state()) === 'BACKUP', { description: `the resumed ${stopped.host} yields`, timeoutMs: 15_000, intervalMs: 20 });
    await waitFor(async () => (await holders(lab, vip)) === peer.host, { description: `VIP on ${peer.host} only` });
    // …and stays so: no second failover, no flapping.
    for (let i = 0; i < 20; i++) {
      assert.equal(await peer.state(), 'MASTER', `${peer.host} keeps the role`);
      assert.equal(await holders(lab, vip), peer.host);
      await sleep(100);
    }
    assert.equal((await transitionsOf(peer, 'VI_1')).length, peerTransitions, `${peer.host} made no transition after the resume`);
    assert.match(await stopped.process.readLog(), /after we sent nothing for \d+ ms \(stopped\): it took over meanwhile/);
  });
});
