/**
 * The postgresql driver against two real PostgreSQL 15 clusters: bootstrap and clone, commits
 * wait for the synchronous standby, fencing never acknowledges a waiting commit, promotion fixes
 * synchronous_standby_names, the old primary rejoins with pg_rewind keeping its own
 * configuration. One pair for the whole file (initdb and pg_basebackup take seconds).
 */
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../../src/lab/wait-for.js';
import { postmasterPid } from '../../../src/resources/postgresql/server.js';
import { attempt, connect, query } from './client.js';
import { ctx, freePort, killCluster, makeBase, makeNode, postgresSkipReason, removeBase, type PgNode } from './pg-pair.js';

const skip = postgresSkipReason();

describe('postgresql driver: a pair on real PostgreSQL 15', { skip, concurrency: false }, () => {
  let base = '';
  let a: PgNode;
  let b: PgNode;

  before(async () => {
    base = await makeBase();
    const [pa, pb] = [await freePort(), await freePort()];
    a = await makeNode(base, 'a', 'b', pa, pb, { bootstrap: 'initdb' });
    b = await makeNode(base, 'b', 'a', pb, pa, { walKeepMB: 64 });
  });
  after(async () => {
    if (base !== '') await removeBase(base, [a, b]);
  });

  const eligible = async (node: PgNode) => {
    const m = await node.driver.monitor(ctx(20_000));
    return m.eligibility?.eligible !== false ? m : undefined;
  };

  it('bootstraps: the first master initdbs, the empty standby clones it and becomes the synchronous standby', async () => {
    await a.driver.start(ctx());
    await b.driver.start(ctx());
    const before = await b.driver.monitor(ctx());
    assert.equal(before.eligibility?.eligible, false, 'an empty standby is not eligible');
    await a.driver.promote(ctx());
    const ssn = await query(a, 'SHOW synchronous_standby_names');
    assert.equal(ssn.rows[0].synchronous_standby_names, 'FIRST 1 ("b")');
    await b.driver.start(ctx());
    await waitFor(() => eligible(b), { description: 'b eligible (streaming, synchronous)', timeoutMs: 60_000, intervalMs: 500 });
    await query(a, 'CREATE TABLE t (id int primary key, note text)');
    await query(a, `INSERT INTO t VALUES (1, 'before')`);
    const onB = await waitFor(async () => (await query(b, 'SELECT note FROM t WHERE id = 1')).rows[0]?.note, { description: 'row 1 on b', timeoutMs: 30_000 });
    assert.equal(onB, 'before');
    const sync = await query(a, `SELECT sync_state FROM pg_stat_replication WHERE application_name = 'b'`);
    assert.equal(sync.rows[0]?.sync_state, 'sync');
    const slot = await query(a, `SELECT active FROM pg_replication_slots WHERE slot_name = 'hs_b'`);
    assert.equal(slot.rows[0]?.active, true, 'b streams through its slot');
    // walKeepMB (copy.ts keptWal): a left PostgreSQL's own (the default), b asked for 64 MB.
    assert.equal((await query(a, 'SHOW wal_keep_size')).rows[0]?.wal_keep_size, '0', 'wal_keep_size on a');
    assert.equal((await query(b, 'SHOW wal_keep_size')).rows[0]?.wal_keep_size, '64MB', 'wal_keep_size on b');
    await a.driver.monitor(ctx());
    assert.equal(a.driver.handoverBlocker(), undefined, 'a switchover may hand a over to b, its streaming synchronous standby');
    assert.equal(b.driver.handoverBlocker(), undefined, 'a standby has nothing to hand over');
  });

  it('a commit waits while the synchronous standby is stopped, and returns once it is back', async () => {
    await b.driver.stop(ctx());
    const client = await connect(a);
    try {
      const pending = attempt(client, `INSERT INTO t VALUES (2, 'waits')`);
      const early = await Promise.race([pending.then(() => 'returned'), sleep(3_000).then(() => 'waiting')]);
      assert.equal(early, 'waiting', 'the commit must not return without the standby');
      const m = await a.driver.monitor(ctx());
      assert.equal(m.gauges?.['sync_standby'], 0);
      assert.match(a.driver.handoverBlocker() ?? '', /^b is not connected as a standby/, 'a switchover now would leave no primary: refused');
      await b.driver.start(ctx());
      const outcome = await pending;
      assert.equal(outcome.ok, true);
      const onB = await waitFor(async () => (await query(b, 'SELECT note FROM t WHERE id = 2')).rows[0]?.note, { description: 'row 2 on b', timeoutMs: 30_000 });
      assert.equal(onB, 'waits');
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  it('why demote never cancels a wait: pg_cancel_backend on a waiting commit reports success with only a WARNING', async () => {
    await b.driver.stop(ctx());
    const client = await connect(a);
    try {
      const pending = attempt(client, `INSERT INTO t VALUES (100, 'cancelled wait')`);
      const backend = (client as unknown as { processID: number }).processID;
      await waitFor(async () => (await query(a, `SELECT wait_event FROM pg_stat_activity WHERE pid = $1`, [backend])).rows[0]?.wait_event === 'SyncRep', { description: 'the commit waiting for the standby' });
      await query(a, 'SELECT pg_cancel_backend($1)', [backend]);
      const outcome = await pending;
      assert.equal(outcome.ok, true, 'PostgreSQL reports the cancelled wait as a success');
      assert.match(outcome.notices.join(' '), /canceling wait for synchronous replication/);
    } finally {
      await client.end().catch(() => undefined);
      await b.driver.start(ctx());
    }
  });

  it('demote fences at once: a client whose commit was waiting gets an error, never a success', async (t) => {
    await waitFor(() => eligible(b), { description: 'b eligible again', timeoutMs: 60_000, intervalMs: 500 });
    await b.driver.stop(ctx());
    const client = await connect(a);
    const pending = attempt(client, `INSERT INTO t VALUES (3, 'never acknowledged')`);
    await sleep(1_000);
    const started = performance.now();
    await a.driver.demote(ctx(30_000));
    const fencedMs = performance.now() - started;
    t.diagnostic(`demote (fencing) took ${Math.round(fencedMs)} ms`);
    const outcome = await pending;
    await client.end().catch(() => undefined);
    assert.equal(outcome.ok, false, `the waiting commit must fail, got success with notices ${JSON.stringify(outcome.notices)}`);
    assert.ok(fencedMs < 30_000);
    // Nothing on a answers as a primary any more.
    const state = await waitFor(async () => {
      try {
        return String((await query(a, 'SELECT pg_is_in_recovery() AS r')).rows[0]?.r);
      } catch {
        return (await postmasterPid(a.settings.dataDir)) === undefined ? 'down' : undefined;
      }
    }, { description: 'a down or in recovery', timeoutMs: 30_000 });
    assert.notEqual(state, 'false');
  });

  it('promotes the standby: synchronous_standby_names names the old primary, which rejoins (pg_rewind, or a fresh clone when rewind cannot) keeping its own configuration', async () => {
    // a's own configuration, which pg_rewind would replace with b's.
    await appendFile(join(a.settings.dataDir, 'postgresql.conf'), `\n# node a's own line\ncluster_name = 'node-a'\n`);
    await b.driver.start(ctx());
    const m = await waitFor(() => eligible(b), { description: 'b eligible (it was the synchronous standby)', timeoutMs: 60_000, intervalMs: 500 });
    assert.ok(m);
    await b.driver.promote(ctx());
    const ssn = await query(b, 'SHOW synchronous_standby_names');
    assert.equal(ssn.rows[0].synchronous_standby_names, 'FIRST 1 ("a")', 'the promoted standby must not wait for itself');
    // The old primary rejoins without a hand on the keyboard (monitor rounds drive it).
    await waitFor(async () => {
      await a.driver.monitor(ctx(20_000));
      const v = a.driver.lastView();
      return v?.local.kind === 'standby' && v.local.streaming && v.busy === undefined;
    }, { description: 'a streaming from b', timeoutMs: 120_000, intervalMs: 1_000 });
    const write = await Promise.race([query(b, `INSERT INTO t VALUES (4, 'after failover')`).then(() => 'ok'), sleep(30_000).then(() => 'blocked')]);
    assert.equal(write, 'ok', 'the new primary accepts writes');
    const rows = await query(b, 'SELECT id FROM t ORDER BY id');
    // Row 3's commit got an error, so its outcome is unknown (it may have reached the standby's WAL
    // before the fence): it may or may not be there. Every acknowledged row must be.
    const ids = rows.rows.map((r) => r.id).filter((id) => id !== 3);
    assert.deepEqual(ids, [1, 2, 4, 100], 'every acknowledged row is there, nothing else but the unknown row 3');
    const conf = await readFile(join(a.settings.dataDir, 'postgresql.conf'), 'utf8');
    assert.match(conf, /node a's own line/);
    const name = await query(a, 'SHOW cluster_name');
    assert.equal(name.rows[0].cluster_name, 'node-a');
    const aSync = await query(b, `SELECT sync_state FROM pg_stat_replication WHERE application_name = 'a'`);
    assert.equal(aSync.rows[0]?.sync_state, 'sync');
  });
  it('the primary dies (kill -9 of every process): the synchronous standby is promoted with every acknowledged row, the old primary rejoins with pg_rewind keeping its own configuration', async (t) => {
    for (let id = 10; id < 30; id++) await query(b, `INSERT INTO t VALUES ($1, 'acknowledged')`, [id]);
    await appendFile(join(b.settings.dataDir, 'postgresql.conf'), `\n# node b's own line\ncluster_name = 'node-b'\n`);
    await killCluster(b);
    await waitFor(() => eligible(a), { description: 'a eligible (last seen as the synchronous standby)', timeoutMs: 60_000, intervalMs: 500 });
    const promoteStart = performance.now();
    await a.driver.promote(ctx());
    t.diagnostic(`promote (pg_promote + synchronous_standby_names) took ${Math.round(performance.now() - promoteStart)} ms`);
    const pending = query(a, `INSERT INTO t VALUES (30, 'after second failover')`);
    const rejoinStart = performance.now();
    await b.driver.start(ctx());
    await pending;
    t.diagnostic(`old primary back as synchronous standby (pg_rewind) after ${Math.round(performance.now() - rejoinStart)} ms`);
    const ids = (await query(a, 'SELECT id FROM t WHERE id BETWEEN 10 AND 30 ORDER BY id')).rows.map((r) => r.id);
    assert.deepEqual(ids, [...Array.from({ length: 20 }, (_, i) => i + 10), 30], 'every acknowledged row is on the new primary');
    await b.driver.monitor(ctx());
    // pg_rewind normally; a fresh clone is the documented fallback when a rewind does not lead to streaming.
    assert.match(String(b.driver.describe()['lastCopy']), /^rejoin \((pg_rewind|fresh clone)\)$/);
    assert.equal((await query(b, 'SHOW cluster_name')).rows[0].cluster_name, 'node-b', 'b keeps its own postgresql.conf');
    assert.equal((await query(a, `SELECT sync_state FROM pg_stat_replication WHERE application_name = 'b'`)).rows[0]?.sync_state, 'sync');
  });

  it('a hung primary (SIGSTOP of the postmaster): monitor times out instead of hanging, demote fences it within its timeout', async () => {
    const pid = await postmasterPid(a.settings.dataDir);
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGSTOP');
    try {
      const started = performance.now();
      await assert.rejects(a.driver.monitor(ctx(3_000)), /timeout|aborted/i);
      const monitorMs = performance.now() - started;
      assert.ok(monitorMs < 20_000, `monitor returned after ${Math.round(monitorMs)} ms`);
      await a.driver.demote(ctx(30_000));
      await waitFor(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, { description: 'the stopped postmaster killed', timeoutMs: 30_000 });
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Killed, as it should be.
      }
    }
  });
});
