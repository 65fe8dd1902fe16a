/**
 * With a witness: degrading to asynchronous only after the witness recorded it (and the standby
 * then may not be promoted), back to synchronous once the standby caught up; a promotion that
 * loses the compare-and-swap does not happen. Real PostgreSQL 15 pair, in-memory witness.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../../src/lab/wait-for.js';
import type { Logger } from '../../../src/ports/index.js';
import { memoryWitness, MemoryWitnessStore } from '../../../src/resources/postgresql/memory-witness.js';
import { postmasterPid } from '../../../src/resources/postgresql/server.js';
import { connect, query } from './client.js';
import { ctx, freePort, killCluster, makeBase, makeNode, postgresSkipReason, removeBase, type PgNode } from './pg-pair.js';

const skip = postgresSkipReason();

describe('postgresql driver with a witness', { skip, concurrency: false }, () => {
  let base = '';
  let a: PgNode;
  let b: PgNode;
  const store = new MemoryWitnessStore();

  before(async () => {
    base = await makeBase();
    const [pa, pb] = [await freePort(), await freePort()];
    a = await makeNode(base, 'a', 'b', pa, pb, { bootstrap: 'initdb', degradeToAsyncAfter: '1s' }, { witness: memoryWitness(store) });
    b = await makeNode(base, 'b', 'a', pb, pa, { degradeToAsyncAfter: '1s' }, { witness: memoryWitness(store) });
    await a.driver.start(ctx());
    await a.driver.promote(ctx());
    await b.driver.start(ctx());
    // The primary's monitor names b in the record once b streams and caught up; then b is eligible.
    await waitFor(async () => {
      await a.driver.monitor(ctx(20_000));
      return (await b.driver.monitor(ctx(20_000))).eligibility?.eligible !== false;
    }, { description: 'b eligible', timeoutMs: 60_000, intervalMs: 500 });
    await query(a, 'CREATE TABLE t (id int primary key)');
  });
  after(async () => {
    if (base !== '') await removeBase(base, [a, b]);
  });

  it('the first promotion recorded {primary a, no standby} (degradeToAsyncAfter set); once b streamed and caught up, the record named it', () => {
    assert.deepEqual({ ...store.record }, { primary: 'a', syncStandby: 'b', generation: 2 });
  });

  it('with the standby gone, the primary degrades to async only after the witness agreed; the standby is then not eligible', async () => {
    await b.driver.stop(ctx());
    await waitFor(async () => {
      await a.driver.monitor(ctx(20_000));
      return store.record?.syncStandby === null;
    }, { description: 'the witness records async', timeoutMs: 30_000, intervalMs: 300 });
    const ssn = await waitFor(async () => {
      const v = (await query(a, 'SHOW synchronous_standby_names')).rows[0].synchronous_standby_names as string;
      return v === '' ? 'empty' : undefined;
    }, { description: 'synchronous_standby_names cleared', timeoutMs: 10_000 });
    assert.equal(ssn, 'empty');
    const write = await Promise.race([query(a, 'INSERT INTO t VALUES (1)').then(() => 'ok'), sleep(10_000).then(() => 'blocked')]);
    assert.equal(write, 'ok', 'writes continue without the standby');
    await b.driver.start(ctx());
    const m = await b.driver.monitor(ctx(20_000));
    assert.equal(m.eligibility?.eligible, false, 'a standby the witness does not name may not be promoted');
    await assert.rejects(b.driver.promote(ctx()), /Not promoting/);
  });

  it('under a steady write load, synchronous replication comes back and the witness names the standby again; it holds every acknowledged write', async () => {
    // Writers that never pause: the asynchronous standby is never exactly caught up (the primary
    // once waited for that and never named its standby again).
    await query(a, 'CREATE TABLE load (id serial primary key, at timestamptz default now())');
    let acknowledged = 0;
    let writing = true;
    const writers = Array.from({ length: 3 }, async () => {
      while (writing) {
        await query(a, 'INSERT INTO load DEFAULT VALUES');
        acknowledged++;
      }
    });
    try {
      await waitFor(async () => {
        await a.driver.monitor(ctx(20_000));
        return store.record?.syncStandby === 'b';
      }, { description: 'the witness names b again while writes continue', timeoutMs: 60_000, intervalMs: 300 });
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    const namedAfter = acknowledged;
    assert.ok(namedAfter >= 10, `writes went on meanwhile (${namedAfter})`);
    assert.equal((await query(a, 'SHOW synchronous_standby_names')).rows[0].synchronous_standby_names, 'FIRST 1 ("b")');
    await waitFor(async () => (await query(b, 'SELECT count(*)::int AS n FROM load')).rows[0].n >= namedAfter, { description: 'b replayed every acknowledged write', timeoutMs: 30_000, intervalMs: 300 });
    assert.equal((await query(b, 'SELECT count(*)::int AS n FROM t')).rows[0].n, 1);
    const m = await waitFor(async () => {
      const r = await b.driver.monitor(ctx(20_000));
      return r.eligibility?.eligible !== false ? r : undefined;
    }, { description: 'b eligible again', timeoutMs: 30_000, intervalMs: 500 });
    assert.ok(m);
  });

  it('a standby holds synchronous_standby_names as its promotion will want it (none, with degradeToAsyncAfter), so promote only reads it', async () => {
    // The clone copied the primary's postgresql.auto.conf, which names this node itself.
    await b.driver.monitor(ctx(20_000));
    const rows = (await query(b, `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_standby_names', 'synchronous_commit') ORDER BY name`)).rows;
    assert.deepEqual(rows.map((r) => [r.name, r.setting]), [['synchronous_commit', 'on'], ['synchronous_standby_names', '']]);
    assert.equal((await query(b, 'SELECT pg_is_in_recovery() AS r')).rows[0].r, true, 'still a standby');
  });

  it('the primary dies: the standby is promoted and writes at once (the witness records "no synchronous standby"), then the old primary rejoins and is synchronous again', async (t) => {
    await waitFor(async () => (await b.driver.monitor(ctx(20_000))).eligibility?.eligible !== false, { description: 'b eligible', timeoutMs: 30_000, intervalMs: 500 });
    await killCluster(a);
    const started = performance.now();
    await b.driver.promote(ctx());
    t.diagnostic(`promote took ${Math.round(performance.now() - started)} ms`);
    await query(b, 'INSERT INTO t VALUES (2)');
    t.diagnostic(`first write on the new primary ${Math.round(performance.now() - started)} ms after promote began`);
    assert.deepEqual({ primary: store.record?.primary, syncStandby: store.record?.syncStandby }, { primary: 'b', syncStandby: null });
    assert.equal((await a.driver.monitor(ctx(20_000))).eligibility?.eligible, false, 'the old primary may not be promoted');
    await a.driver.start(ctx());
    await waitFor(async () => {
      await b.driver.monitor(ctx(20_000));
      return store.record?.syncStandby === 'a';
    }, { description: 'a back as the synchronous standby', timeoutMs: 90_000, intervalMs: 500 });
    assert.equal((await query(a, 'SELECT count(*)::int AS n FROM t')).rows[0].n, 2);
  });

  it('a promotion that loses the compare-and-swap does not happen', async () => {
    const record = store.record!;
    store.record = { ...record, generation: record.generation + 1 }; // someone else wrote in between
    const stale = memoryWitness(store);
    const real = stale.claimPrimary;
    let raced = false;
    // The claim sees a record, then another writer moves it before the compare-and-swap.
    const racing = { ...stale, claimPrimary: async (self: string, sync: string | null, expect: typeof record | undefined, signal?: AbortSignal) => {
      raced = true;
      store.record = { ...store.record!, generation: store.record!.generation + 1 };
      return real(self, sync, expect, signal);
    } };
    const c = await makeNode(base, 'a', 'b', a.settings.port, b.settings.port, {}, { witness: racing });
    await waitFor(async () => (await c.driver.monitor(ctx(20_000))).eligibility?.eligible !== false, { description: 'a eligible', timeoutMs: 30_000, intervalMs: 500 });
    await assert.rejects(c.driver.promote(ctx()), /another node claimed the primary/);
    assert.ok(raced);
    assert.equal((await query(a, 'SELECT pg_is_in_recovery() AS r')).rows[0].r, true, 'a is still a standby');
  });

  it('a node the record names as primary never copies from the peer: after a demote it comes back as a standby on its own data', async () => {
    // As after a VRRP flap: this node won the record (and acknowledged commits the peer may lack),
    // then lost the mastership to the superseded peer for a moment. Rewinding or cloning from that
    // peer would throw its commits away.
    const record = store.record!;
    store.record = { primary: 'a', syncStandby: null, generation: record.generation + 1 };
    const messages: string[] = [];
    const log: Logger = { log: (_level, message) => void messages.push(message), child: () => log };
    await a.driver.demote(ctx(120_000, log));
    await waitFor(async () => {
      const m = await a.driver.monitor(ctx(20_000));
      return a.driver.describe()['busy'] === undefined && m.eligibility?.eligible === true;
    }, { description: 'a back as an eligible standby', timeoutMs: 60_000, intervalMs: 300 });
    assert.deepEqual(messages.filter((m) => /pg_rewind|clone|pg_basebackup/i.test(m)), [], 'no copy from the peer');
    assert.equal((await query(a, 'SELECT pg_is_in_recovery() AS r')).rows[0].r, true);
    assert.equal((await query(a, 'SELECT count(*)::int AS n FROM t')).rows[0].n, 2, 'its own rows kept');
  });

  it('a promotion waits out a witness that is unreachable for a moment (an etcd election) instead of failing', async () => {
    await waitFor(async () => (await a.driver.monitor(ctx(20_000))).eligibility?.eligible === true, { description: 'a eligible', timeoutMs: 30_000, intervalMs: 300 });
    const before = store.record!;
    store.unreachable = true;
    const back = setTimeout(() => {
      store.unreachable = false;
    }, 1_000);
    try {
      await a.driver.promote(ctx());
    } finally {
      clearTimeout(back);
      store.unreachable = false;
    }
    assert.equal(store.record?.primary, 'a');
    assert.equal(store.record?.generation, before.generation + 1);
    assert.equal((await query(a, 'SELECT pg_is_in_recovery() AS r')).rows[0].r, false, 'a is the primary');
  });

  it('a primary the record no longer names is shut down by its next monitor, while it still holds the VIP, so its clients hear of it at once', async () => {
    // A split: the peer won the record. Before, the monitor only vetoed; the role change then took
    // the VIP away before the demote, and the clients' connections, closed from an address the
    // host no longer had, hung until their own timeouts.
    const client = await connect(a);
    const closed = new Promise<string>((resolve) => {
      client.on('error', (error) => resolve(error.message));
      client.on('end', () => resolve('end'));
    });
    const record = store.record!;
    store.record = { primary: 'b', syncStandby: null, generation: record.generation + 1 };
    const result = await a.driver.monitor(ctx(20_000));
    assert.equal(result.eligibility?.eligible, false);
    assert.match(await Promise.race([closed, sleep(5_000).then(() => 'still open')]), /terminat|end|Connection/i, 'the client was disconnected');
    assert.equal(await postmasterPid(a.settings.dataDir), undefined, 'PostgreSQL was shut down');
  });
});
