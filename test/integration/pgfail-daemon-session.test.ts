/**
 * The failover rig's daemons run as systemd runs the service (src/lab/pgfail/hotstandby-pair.ts):
 * each leads its own session, so it can raise its session's autogroup to its nice value
 * (docs/operations.md, Scheduling priority). Sharing the bench's session it could not: its VRRP
 * timers then competed with the writers and every other session as one autogroup, and once ran
 * 392 ms late while PostgreSQL was paused, past the 361 ms Master_Down_Interval at advert_int 0.1:
 * the peer took the role (docs/postgresql-proof.md, 2026-12-04).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Lab } from '../../src/lab/index.js';
import { nativeAddonUnavailableReason, postgresqlUnavailableReason } from '../../src/lab/environment.js';
import { HotstandbyPair } from '../../src/lab/pgfail/hotstandby-pair.js';
import { waitFor } from '../../src/lab/wait-for.js';
import { sessionOfPid, withLabLogs } from './support.js';

const skip = postgresqlUnavailableReason() ?? nativeAddonUnavailableReason() ?? false;
/** sched(7): without autogroup scheduling the session shares nothing to raise. */
const autogroups = existsSync('/proc/sys/kernel/sched_autogroup_enabled') && readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';

test('each daemon of the PostgreSQL failover pair leads its own session, whose autogroup it raised to its nice value', { skip, timeout: 300_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const pair = new HotstandbyPair(lab, ['a', 'b']);
    await pair.start();
    try {
      for (const host of pair.hosts) {
        const [pid] = pair.daemonPids(host);
        assert.ok(pid !== undefined, `${host}'s daemon runs`);
        assert.equal(sessionOfPid(pid), pid, `${host}'s daemon leads its session`);
        if (!autogroups) continue;
        // The daemon's default processPriority is -10 (docs/config.md).
        await waitFor(() => /nice -10\b/.test(readFileSync(`/proc/${pid}/autogroup`, 'utf8')), {
          description: `${host}'s daemon's autogroup at nice -10`,
          timeoutMs: 30_000,
        });
      }
    } finally {
      await pair.stop();
    }
  });
});
