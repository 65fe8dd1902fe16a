/**
 * The next WAL segment made beforehand (wal-prealloc-keeper.ts) on two real PostgreSQL 15
 * clusters: the standby makes it once replay is past half a segment (postgres-owned, 0600, zeros),
 * removes a stale one but never one PostgreSQL wrote into, the promotion opens it (the same inode:
 * not re-created) and the new timeline writes into it, and a zero file on a timeline a standby
 * later follows (a wrong guess come true) is streamed over without an error.
 */
import assert from 'node:assert/strict';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveScriptUser } from '../../../src/check/script-security.js';
import { waitFor } from '../../../src/lab/wait-for.js';
import { parseLsnBytes, walFileName } from '../../../src/resources/postgresql/wal-prealloc.js';
import { ensureZeroSegment } from '../../../src/resources/postgresql/wal-segment-file.js';
import { query } from './client.js';
import { ctx, freePort, killCluster, makeBase, makeNode, postgresSkipReason, removeBase, type PgNode } from './pg-pair.js';

const skip = postgresSkipReason();
const SEG = 16 * 1024 * 1024;

/** Fills the primary's WAL from a fresh segment to `at` of it; returns the flushed end. */
async function fillTo(node: PgNode, at: number): Promise<bigint> {
  await query(node, 'SELECT pg_switch_wal()');
  await query(node, `INSERT INTO t (note) VALUES ('fill')`);
  for (;;) {
    const lsn = parseLsnBytes(String((await query(node, 'SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l));
    const offset = Number(lsn % BigInt(SEG)) / SEG;
    if (offset >= at) break;
    await query(node, `SELECT pg_logical_emit_message(false, 'hs', repeat('x', ${Math.max(1, Math.min(1 << 20, Math.floor((at - offset) * SEG)))}))`);
  }
  return parseLsnBytes(String((await query(node, 'SELECT pg_current_wal_flush_lsn()::text AS l')).rows[0].l));
}

async function replayedTo(node: PgNode, lsn: bigint): Promise<void> {
  await waitFor(async () => parseLsnBytes(String((await query(node, 'SELECT pg_last_wal_replay_lsn()::text AS l')).rows[0].l)) >= lsn,
    { description: `${node.name} replayed to ${lsn}`, timeoutMs: 60_000, intervalMs: 100 });
}

/** ERROR / FATAL / PANIC lines of the node's server log, but the walreceiver's about a primary that went away. */
async function serverLogErrors(node: PgNode): Promise<string[]> {
  const text = await readFile(join(node.settings.dataDir, 'hotstandby-server.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => /\b(ERROR|FATAL|PANIC):/.test(l)
    && !/could not (connect to the primary server|send end-of-streaming message to primary|receive data from WAL stream|send data to WAL stream)|the database system is (starting up|shutting down|in recovery mode)|terminating walreceiver|terminating connection due to administrator command|replication slot .* does not exist|duplicate key/.test(l));
}

describe('postgresql driver: the next WAL segment made beforehand, on real PostgreSQL 15', { skip, concurrency: false }, () => {
  let base = '';
  let a: PgNode;
  let b: PgNode;
  let made = '';
  let inode = 0;
  let logLines = 0;

  before(async () => {
    base = await makeBase();
    const [pa, pb] = [await freePort(), await freePort()];
    a = await makeNode(base, 'a', 'b', pa, pb, { bootstrap: 'initdb' });
    b = await makeNode(base, 'b', 'a', pb, pa);
    await a.driver.start(ctx());
    await b.driver.start(ctx());
    await a.driver.promote(ctx());
    await b.driver.start(ctx());
    await waitFor(async () => (await b.driver.monitor(ctx(20_000))).eligibility?.eligible !== false, { description: 'b eligible', timeoutMs: 120_000, intervalMs: 500 });
    await query(a, 'CREATE TABLE t (id serial primary key, note text)');
  });
  after(async () => {
    if (base !== '') await removeBase(base, [a, b]);
  });

  const walDir = (node: PgNode) => join(node.settings.dataDir, 'pg_wal');

  it('a standby replayed past half a segment makes the new timeline\'s next segment: zeros, postgres-owned, 0600', async () => {
    const end = await fillTo(a, 0.85);
    await replayedTo(b, end);
    const tli = Number((await query(b, 'SELECT timeline_id FROM pg_control_checkpoint()')).rows[0].timeline_id);
    const expected = walFileName(tli + 1, (end - 1n) / BigInt(SEG) + 1n, SEG);
    await waitFor(async () => {
      await b.driver.monitor(ctx(20_000));
      return b.driver.describe()['walMadeForPromotion'] === expected && (await stat(join(walDir(b), expected)).catch(() => undefined)) !== undefined;
    }, { description: `b made ${expected}`, timeoutMs: 60_000, intervalMs: 300 });
    const st = await stat(join(walDir(b), expected));
    const { uid } = await resolveScriptUser('postgres');
    assert.equal(st.uid, uid);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, SEG);
    assert.ok((await readFile(join(walDir(b), expected))).every((x) => x === 0));
    // Replay moves into the next segment: the file is kept while replay is below half of it, then
    // the same file, renamed, is the next one (no 16 MB written again).
    await query(a, 'SELECT pg_switch_wal()');
    const entered = parseLsnBytes(String((await query(a, `INSERT INTO t (note) VALUES ('next') RETURNING pg_current_wal_insert_lsn()::text AS l`)).rows[0].l));
    await replayedTo(b, entered);
    for (let i = 0; i < 3; i++) await b.driver.monitor(ctx(20_000));
    assert.equal((await stat(join(walDir(b), expected))).ino, st.ino, 'kept while replay is below half of the next segment');
    const next = await fillTo(a, 0.85);
    await replayedTo(b, next);
    const following = walFileName(tli + 1, (next - 1n) / BigInt(SEG) + 1n, SEG);
    assert.notEqual(following, expected);
    await waitFor(async () => {
      await b.driver.monitor(ctx(20_000));
      return b.driver.describe()['walMadeForPromotion'] === following && (await stat(join(walDir(b), following)).catch(() => undefined)) !== undefined;
    }, { description: `b made ${following}`, timeoutMs: 60_000, intervalMs: 300 });
    assert.equal((await stat(join(walDir(b), following))).ino, st.ino, 'renamed, not written again');
    assert.equal(await stat(join(walDir(b), expected)).catch(() => undefined), undefined, 'the old name is gone');
    made = following;
    inode = st.ino;
  });

  it('a stale zero segment of a future timeline is removed; one with data is never removed', async () => {
    const tli = parseInt(made.slice(0, 8), 16);
    const stale = walFileName(tli + 4, 3n, SEG);
    const written = walFileName(tli + 5, 3n, SEG);
    const owner = await resolveScriptUser('postgres');
    await ensureZeroSegment(walDir(b), stale, SEG, owner);
    const data = Buffer.alloc(SEG);
    data.write('not zeros', 4096);
    await writeFile(join(walDir(b), written), data, { mode: 0o600 });
    await waitFor(async () => {
      await b.driver.monitor(ctx(20_000));
      return (await stat(join(walDir(b), stale)).catch(() => undefined)) === undefined;
    }, { description: `b removed ${stale}`, timeoutMs: 60_000, intervalMs: 300 });
    for (let i = 0; i < 3; i++) await b.driver.monitor(ctx(20_000));
    assert.ok(await stat(join(walDir(b), written)), 'a file with data stays');
    assert.ok(await stat(join(walDir(b), made)), 'the current one stays');
    await unlink(join(walDir(b), written));
  });

  it('the primary dies: the promotion opens the file made beforehand (same inode); once the old primary rewound and follows, the new timeline writes into it; no error in the log', async (t) => {
    logLines = (await serverLogErrors(b)).length;
    await killCluster(a);
    await waitFor(async () => (await b.driver.monitor(ctx(20_000))).eligibility?.eligible !== false, { description: 'b eligible', timeoutMs: 60_000, intervalMs: 300 });
    const started = performance.now();
    await b.driver.promote(ctx());
    t.diagnostic(`promote took ${Math.round(performance.now() - started)} ms`);
    const walfile = String((await query(b, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0].f);
    assert.equal(walfile.slice(0, 8), made.slice(0, 8), 'promoted to the timeline the file was made for');
    assert.equal((await stat(join(walDir(b), made))).ino, inode, 'PostgreSQL opened the file, it did not make another');
    // A commit waits for the synchronous standby: the old primary first (pg_rewind, driven by its monitor).
    await a.driver.start(ctx());
    await waitFor(async () => {
      await a.driver.monitor(ctx(20_000));
      const v = a.driver.lastView();
      return v?.local.kind === 'standby' && v.local.streaming && v.busy === undefined;
    }, { description: 'a streaming from b', timeoutMs: 180_000, intervalMs: 1_000 });
    // Into the file: the next segment of the new timeline is the one made beforehand.
    await query(b, 'SELECT pg_switch_wal()');
    await query(b, `INSERT INTO t (note) VALUES ('on the new timeline')`);
    assert.equal(String((await query(b, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0].f), made);
    assert.equal((await stat(join(walDir(b), made))).ino, inode);
    assert.equal((await query(a, `SELECT count(*)::int AS n FROM t WHERE note = 'on the new timeline'`)).rows[0].n, 1, 'the rewound standby has the row');
    assert.deepEqual((await serverLogErrors(b)).slice(logLines), []);
  });

  it('a zero file on the timeline a standby follows (a wrong guess come true) is streamed over; the rewound standby prepares its own promotion', async () => {
    const current = String((await query(b, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0].f);
    const tli = parseInt(current.slice(0, 8), 16);
    const segno = BigInt(parseInt(current.slice(8, 16), 16)) * 256n + BigInt(parseInt(current.slice(16), 16));
    const owner = await resolveScriptUser('postgres');
    const ahead = [walFileName(tli, segno + 1n, SEG), walFileName(tli, segno + 2n, SEG)];
    for (const name of ahead) await ensureZeroSegment(walDir(a), name, SEG, owner);
    const before = (await serverLogErrors(a)).length;
    // Through both files, with rows to count on the standby.
    for (let i = 0; i < 3; i++) {
      await query(b, `SELECT pg_logical_emit_message(false, 'hs', repeat('y', ${20 << 20}))`);
      await query(b, `INSERT INTO t (note) SELECT 'streamed' FROM generate_series(1, 100)`);
    }
    const end = parseLsnBytes(String((await query(b, 'SELECT pg_current_wal_flush_lsn()::text AS l')).rows[0].l));
    assert.ok(end / BigInt(SEG) > segno + 2n, 'the WAL went past both files');
    await replayedTo(a, end);
    assert.equal((await query(a, `SELECT count(*)::int AS n FROM t WHERE note = 'streamed'`)).rows[0].n, 300);
    for (const name of ahead) assert.ok((await readFile(join(walDir(a), name))).some((x) => x !== 0), `${name} holds streamed WAL now`);
    assert.deepEqual((await serverLogErrors(a)).slice(before), []);
    // And the rejoined standby prepares for its own promotion in turn.
    await replayedTo(a, await fillTo(b, 0.85));
    await waitFor(async () => {
      await a.driver.monitor(ctx(20_000));
      const file = a.driver.describe()['walMadeForPromotion'];
      return typeof file === 'string' && parseInt(file.slice(0, 8), 16) === tli + 1;
    }, { description: 'a made a segment for timeline ' + (tli + 1), timeoutMs: 60_000, intervalMs: 300 });
  });
});
