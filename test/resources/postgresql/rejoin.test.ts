/**
 * The old primary back as a readable standby without a hand on the keyboard (issue 11,
 * 2026-12-04: the 21st fault of the idle witness run, a rejoined old primary that streamed but
 * answered "the database system is starting up" for more than 90 s).
 *
 * 1. A killed primary with WAL past the fork: commits written and flushed on the primary but never
 *    sent to the standby (its walsender stopped) are in its WAL when it is killed with kill -9;
 *    the standby is promoted without them. The old primary must come back rewound, streaming,
 *    the synchronous standby again, and readable.
 * 2. A standby whose recovery cannot reach a consistent point (the WAL its checkpoint needs is
 *    neither in its pg_wal nor on the primary): its WAL receiver keeps connecting, it never
 *    answers. The daemon used to wait inside `pg_ctl start -w` (up to an hour) and repaired
 *    nothing meanwhile; it must say why the standby is not readable and rejoin it again.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../../../src/lab/wait-for.js';
import { query } from './client.js';
import { ctx, eligibleNow, killCluster, pairFixture, postgresSkipReason } from './pg-pair.js';

const skip = postgresSkipReason();

describe('postgresql driver: the old primary and stuck standbys rejoin', { skip, concurrency: false }, () => {
  // A recovery without progress counts as stuck after 8 s here (30 s by default).
  const pair = pairFixture({ stuckRecoveryMs: 8_000 });
  const eligible = eligibleNow;

  it('rejoins after kill -9 as a readable synchronous standby, without the commits the new primary never had', async (t) => {
    const { a, b } = pair;
    await a.driver.start(ctx());
    await b.driver.start(ctx());
    await a.driver.promote(ctx());
    await b.driver.start(ctx());
    await waitFor(() => eligible(b), { description: 'b eligible (streaming, synchronous)', timeoutMs: 60_000, intervalMs: 500 });
    await query(a, 'CREATE TABLE t (id int primary key, note text)');
    for (let id = 1; id <= 20; id++) await query(a, `INSERT INTO t VALUES ($1, 'acknowledged')`, [id]);
    await a.driver.monitor(ctx());
    // The last checkpoint both share lies segments before the fork: WAL the new primary no longer
    // keeps once it has checkpointed (it reserves WAL for a's slot only from its promotion on).
    await query(a, 'CHECKPOINT');
    for (let segment = 0; segment < 3; segment++) {
      await query(a, `INSERT INTO t SELECT g, 'filler' FROM generate_series(${100 + segment * 100}, ${199 + segment * 100}) g`);
      await query(a, 'SELECT pg_switch_wal()');
    }
    await query(a, 'DELETE FROM t WHERE id >= 100');

    // a's walsender stops sending: what a writes from now on is in its WAL only.
    const sender = Number((await query(a, `SELECT pid FROM pg_stat_replication WHERE application_name = 'b'`)).rows[0]?.pid);
    assert.ok(sender > 0, 'a has a walsender for b');
    process.kill(sender, 'SIGSTOP');
    const before = (await query(a, 'SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn as string;
    for (let id = 1000; id < 1200; id++) await query(a, `SET synchronous_commit = local; INSERT INTO t VALUES (${id}, 'a only, never acknowledged to a client')`);
    const past = (await query(a, 'SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn as string;
    t.diagnostic(`a's WAL from ${before} to ${past} was never sent to b`);
    await killCluster(a);
    // a's daemon sees PostgreSQL stopped: FAULT, and demote (the rejoin) runs.
    await a.driver.monitor(ctx()).catch(() => undefined);

    await waitFor(() => eligible(b), { description: 'b eligible (last seen as the synchronous standby)', timeoutMs: 60_000, intervalMs: 500 });
    const replayed = (await query(b, 'SELECT pg_last_wal_replay_lsn()::text AS lsn')).rows[0]?.lsn as string;
    await b.driver.promote(ctx());
    // a's slot on b holds WAL from before the fork (b's last restartpoint), not from b's first
    // checkpoint as a primary: made after the promotion, it did not, and the rewound a waited for
    // a segment no one had (2026-12-04).
    const held = (await query(b, `SELECT restart_lsn <= $1::pg_lsn AS before_fork, restart_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'hs_a'`, [replayed])).rows[0];
    t.diagnostic(`a's slot on b holds WAL from ${String(held?.lsn)}; b had replayed up to ${replayed}`);
    assert.equal(held?.before_fork, true, `a's slot on b, there when promote returns, reserves WAL from before the fork (${replayed}): ${JSON.stringify(held)}`);
    // b's checkpoints as a primary keep only what slots and wal_keep_size (0 here) hold.
    for (let segment = 0; segment < 3; segment++) {
      await query(b, 'SELECT pg_switch_wal()');
      await query(b, 'CHECKPOINT');
    }
    const pending = query(b, `INSERT INTO t VALUES (21, 'after the failover')`);
    const rejoinStart = performance.now();
    await a.driver.demote(ctx());
    await waitFor(async () => {
      await a.driver.monitor(ctx(20_000)).catch(() => undefined);
      const readable = await query(a, 'SELECT pg_is_in_recovery() AS r').then((r) => r.rows[0]?.r === true, () => false);
      const sync = await query(b, `SELECT sync_state FROM pg_stat_replication WHERE application_name = 'a'`).then((r) => r.rows[0]?.sync_state === 'sync', () => false);
      return readable && sync;
    }, { description: 'a readable (hot standby) and b\'s synchronous standby', timeoutMs: 180_000, intervalMs: 1_000 }).catch((error: Error) => {
      throw new Error(`${error.message}; a: ${JSON.stringify(a.driver.describe())}`);
    });
    t.diagnostic(`a readable and synchronous ${Math.round(performance.now() - rejoinStart)} ms after the demote; last copy: ${String(a.driver.describe()['lastCopy'])}`);
    assert.equal(a.driver.describe()['lastCopy'], 'rejoin (pg_rewind)', 'a rewound and replayed, no fresh clone needed');
    const slotsOnA = (await query(a, 'SELECT slot_name FROM pg_replication_slots')).rows.map((r) => r.slot_name as string);
    assert.deepEqual(slotsOnA, [], 'the standby holds no slot (one would keep its WAL for good)');
    await pending;
    const onA = (await waitFor(async () => {
      const rows = (await query(a, 'SELECT id FROM t ORDER BY id')).rows.map((r) => r.id as number);
      return rows.includes(21) ? rows : undefined;
    }, { description: 'row 21 on a', timeoutMs: 30_000 }))!;
    assert.deepEqual(onA, Array.from({ length: 21 }, (_, i) => i + 1), 'a holds the new primary\'s rows and none of its own unacknowledged ones');
  });

  it('a standby stuck before consistency (its checkpoint\'s WAL gone everywhere) says why in status and is rejoined again', async (t) => {
    const { a, b } = pair;
    // a is b's synchronous standby (the test above). Stopped, it loses the WAL its restart needs:
    // its own segments, and the primary's copies (no slot holds them, two checkpoints recycle them).
    await a.driver.stop(ctx());
    await query(b, `SELECT pg_drop_replication_slot('hs_a')`);
    // Commits wait for a (b's synchronous standby) and are acknowledged once it is back.
    const waiting: Array<Promise<unknown>> = [];
    for (let segment = 0; segment < 3; segment++) {
      waiting.push(query(b, `INSERT INTO t VALUES (${40 + segment}, 'while a was stopped')`));
      await waitFor(async () => (await query(b, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'`)).rows[0]?.n === segment + 1, { description: 'the commit waiting for a' });
      await query(b, 'SELECT pg_switch_wal()');
    }
    await query(b, 'CHECKPOINT');
    await query(b, 'CHECKPOINT');
    const walDir = join(a.settings.dataDir, 'pg_wal');
    for (const name of await readdir(walDir)) if (/^[0-9A-F]{24}$/.test(name)) await rm(join(walDir, name));

    await a.driver.start(ctx());
    let said: string | undefined;
    const start = performance.now();
    await waitFor(async () => {
      const m = await a.driver.monitor(ctx(20_000)).catch(() => undefined);
      if (m !== undefined && /^not readable yet/.test(m.detail ?? '')) said ??= m.detail;
      const readable = await query(a, 'SELECT pg_is_in_recovery() AS r').then((r) => r.rows[0]?.r === true, () => false);
      const sync = await query(b, `SELECT sync_state FROM pg_stat_replication WHERE application_name = 'a'`).then((r) => r.rows[0]?.sync_state === 'sync', () => false);
      return readable && sync;
    }, { description: 'a readable and b\'s synchronous standby again', timeoutMs: 180_000, intervalMs: 1_000 }).catch((error: Error) => {
      throw new Error(`${error.message}; a: ${JSON.stringify(a.driver.describe())}`);
    });
    await Promise.all(waiting);
    t.diagnostic(`a back after ${Math.round(performance.now() - start)} ms; last copy: ${String(a.driver.describe()['lastCopy'])}`);
    t.diagnostic(`status said: ${said}`);
    assert.match(said ?? '', /^not readable yet \(the database system is starting up\): startup process: /, 'status says why the standby does not answer');
    // Acknowledged once a flushed them; replayed (readable) a moment later.
    const ids = await waitFor(async () => {
      const rows = (await query(a, 'SELECT id FROM t WHERE id BETWEEN 40 AND 42 ORDER BY id')).rows.map((r) => r.id as number);
      return rows.length === 3 ? rows : undefined;
    }, { description: 'rows 40-42 on a', timeoutMs: 30_000 }).catch(() => undefined);
    assert.deepEqual(ids, [40, 41, 42], 'a holds what b committed meanwhile');
  });
});
