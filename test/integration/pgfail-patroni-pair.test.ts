/**
 * The bench's baseline (src/lab/pgfail/patroni-pair.ts: Patroni 3.0.2 + etcd 3.4 + keepalived
 * tracking Patroni's `/primary`) must run as systemd runs those services: each process leads its own
 * session, as the hotstandby pair's daemons do (pgfail-daemon-session.test.ts). Sharing the bench's
 * session, they competed with the writers as one autogroup (sched(7)) while hotstandby's daemons did
 * not: an unequal footing for the failover comparison. Patroni is not installed by CI (bench only).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lab } from '../../src/lab/index.js';
import { patroniUnavailableReason, keepalivedUnavailableReason } from '../../src/lab/environment.js';
import { PatroniPair } from '../../src/lab/pgfail/patroni-pair.js';
import { waitFor } from '../../src/lab/wait-for.js';
import { sessionOfPid, withLabLogs } from './support.js';

const skip = patroniUnavailableReason() ?? keepalivedUnavailableReason() ?? false;

test('the Patroni baseline settles (one leader with the VIP, one streaming) with Patroni, keepalived and etcd each leading its own session', { skip, timeout: 300_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'w'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const pair = new PatroniPair(lab, ['a', 'b'], 'w');
    try {
      await pair.start();
      await waitFor(async () => {
        const settled = await pair.settled();
        if ('reason' in settled) throw new Error(settled.reason);
        return true;
      }, { description: 'the Patroni pair to settle', timeoutMs: 180_000, intervalMs: 500 });
      for (const host of pair.hosts) {
        const [patroni] = pair.daemonPids(host);
        assert.ok(patroni !== undefined, `${host}'s Patroni runs`);
        assert.equal(sessionOfPid(patroni), patroni, `${host}'s Patroni leads its session`);
        const keepalived = pair.keepalivedPid(host);
        assert.ok(keepalived !== undefined, `${host}'s keepalived runs`);
        assert.equal(sessionOfPid(keepalived), keepalived, `${host}'s keepalived leads its session`);
      }
      for (const host of ['a', 'b', 'w']) {
        const etcd = pair.etcdPid(host);
        assert.ok(etcd !== undefined, `${host}'s etcd member runs`);
        assert.equal(sessionOfPid(etcd), etcd, `${host}'s etcd leads its session`);
      }
    } finally {
      await pair.stop();
    }
  });
});
