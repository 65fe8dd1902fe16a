/**
 * Micro-benchmark (issue 11): how long `pg_promote(true)` takes when the standby's WAL ends past
 * 75 % of its segment, with and without the new timeline's next segment made beforehand
 * (wal-prealloc.ts says why PostgreSQL 15 creates, zero-fills and fsyncs that file before it
 * accepts writes, and why an existing one is only opened).
 *
 * Real PostgreSQL 15 (root: the clusters run as the postgres user): a primary and a streaming
 * standby on unix sockets under one temporary directory. Each round fills the primary's WAL to
 * `--at` of a segment, lets the standby replay all of it, stops the primary (fast), makes the file
 * or not (the two alternate round by round), times pg_promote on the standby (signalled, then
 * pg_is_in_recovery() polled every 5 ms, as the driver does), checks a write, and
 * turns the old primary into the new one's standby. The server logs are searched for ERROR,
 * FATAL and PANIC at the end.
 *
 *   node dist/bench/pg-prealloc.js [--rounds 20] [--at 0.85] [--json out.json]
 */
import { appendFile, chmod, chown, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { resolveScriptUser } from '../src/check/script-security.js';
import { runCommand, type RunAs } from '../src/resources/postgresql/commands.js';
import { historyTimelines, parseLsnBytes, preallocTarget } from '../src/resources/postgresql/wal-prealloc.js';
import { ensureZeroSegment } from '../src/resources/postgresql/wal-segment-file.js';
import { describeLoad, HostLoadWindow } from './lib/machine.js';
import { percentile } from './stats.js';

const BIN = '/usr/lib/postgresql/15/bin';

interface Node {
  readonly name: string;
  readonly data: string;
  readonly sock: string;
  readonly port: number;
}

interface Round {
  round: number;
  prealloc: boolean;
  offsetPct: number;
  promoteMs: number;
  file?: string;
  madeMs?: number;
}

function args(): { rounds: number; at: number; json?: string } {
  const argv = process.argv.slice(2);
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rounds = Number(get('--rounds') ?? 20);
  const at = Number(get('--at') ?? 0.85);
  if (!Number.isInteger(rounds) || rounds < 2) throw new RangeError(`--rounds must be an integer >= 2, got ${get('--rounds')}`);
  if (!(at > 0 && at < 1)) throw new RangeError(`--at must be in (0, 1), got ${get('--at')}`);
  const json = get('--json');
  return { rounds, at, ...(json !== undefined ? { json } : {}) };
}

async function run(runAs: RunAs, program: string, argv: string[]): Promise<string> {
  return (await runCommand(join(BIN, program), argv, { runAs, signal: AbortSignal.timeout(300_000) })).stdout;
}

async function sql<T = Record<string, unknown>>(node: Node, text: string): Promise<T[]> {
  const client = new pg.Client({ host: node.sock, port: node.port, user: 'postgres', database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch {
      // Not there yet (starting server, and so on).
    }
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(runAs: RunAs, node: Node): Promise<void> {
  await run(runAs, 'pg_ctl', ['start', '-w', '-t', '300', '-D', node.data, '-l', join(node.data, '..', `${node.name}.log`), '-o', `-p ${node.port} -k ${node.sock}`]);
}

async function stop(runAs: RunAs, node: Node, mode: 'fast' | 'immediate'): Promise<void> {
  await run(runAs, 'pg_ctl', ['stop', '-w', '-t', '300', '-m', mode, '-D', node.data]).catch(() => undefined);
}

/** Fills the primary's WAL from a fresh segment to `at` of it (16 MB logical messages of 256 kB). */
async function fillTo(primary: Node, at: number, segmentSize: number): Promise<number> {
  await sql(primary, 'SELECT pg_switch_wal()');
  await sql(primary, `INSERT INTO ticks VALUES (DEFAULT)`);
  for (;;) {
    const [row] = await sql<{ lsn: string }>(primary, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const offset = Number(parseLsnBytes(row!.lsn) % BigInt(segmentSize)) / segmentSize;
    if (offset >= at) return offset;
    const left = Math.max(1, Math.min(256 * 1024, Math.floor((at - offset) * segmentSize)));
    await sql(primary, `SELECT pg_logical_emit_message(false, 'hs', repeat('x', ${left}))`);
  }
}

async function main(): Promise<void> {
  const { rounds, at, json } = args();
  if (process.getuid?.() !== 0) throw new Error('needs root: the clusters run as the postgres user');
  const runAs = await resolveScriptUser('postgres');
  const base = await mkdtemp(join(tmpdir(), 'hs-prealloc-'));
  await chmod(base, 0o755);
  await chown(base, runAs.uid, runAs.gid);
  const mk = (name: string, port: number): Node => ({ name, data: join(base, name), sock: base, port });
  let primary = mk('a', 25432 + (process.pid % 1000));
  let standby = mk('b', primary.port + 1000);
  const results: Round[] = [];
  const load = new HostLoadWindow();
  try {
    await run(runAs, 'initdb', ['-D', primary.data, '-U', 'postgres', '--auth=trust', '--data-checksums', '-N']);
    await appendFile(join(primary.data, 'postgresql.conf'), `listen_addresses = ''\nwal_keep_size = '512MB'\nlog_min_messages = warning\nlog_checkpoints = off\n`);
    await start(runAs, primary);
    await sql(primary, 'CREATE TABLE ticks (id serial primary key)');
    await run(runAs, 'pg_basebackup', ['-h', base, '-p', String(primary.port), '-U', 'postgres', '-D', standby.data, '-X', 'stream', '-R', '-c', 'fast']);
    await start(runAs, standby);
    const [seg] = await sql<{ setting: string }>(primary, `SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'`);
    const segmentSize = Number(seg!.setting);
    for (let round = 0; round < rounds; round++) {
      // Alternate, and swap which goes first every two rounds (ABBA), so neither always follows the other.
      const prealloc = (round + (Math.floor(round / 2) % 2)) % 2 === 1;
      await until('standby streaming', async () => ((await sql<{ s: string }>(standby, 'SELECT status AS s FROM pg_stat_wal_receiver'))[0]?.s === 'streaming' ? true : undefined));
      const offset = await fillTo(primary, at, segmentSize);
      const [end] = await sql<{ lsn: string }>(primary, 'SELECT pg_current_wal_flush_lsn()::text AS lsn');
      const target = parseLsnBytes(end!.lsn);
      await until('standby replayed', async () => {
        const [r] = await sql<{ lsn: string }>(standby, 'SELECT pg_last_wal_replay_lsn()::text AS lsn');
        return parseLsnBytes(r!.lsn) >= target ? true : undefined;
      });
      await stop(runAs, primary, 'fast');
      const [state] = await sql<{ replay: string; tli: number }>(standby, `SELECT pg_last_wal_replay_lsn()::text AS replay,
        greatest((SELECT timeline_id FROM pg_control_checkpoint()), (SELECT received_tli FROM pg_stat_wal_receiver)) AS tli`);
      const result: Round = { round, prealloc, offsetPct: Math.round(offset * 1000) / 10, promoteMs: 0 };
      const walDir = join(standby.data, 'pg_wal');
      const file = preallocTarget({ replayLsn: parseLsnBytes(state!.replay), timeline: Number(state!.tli), histories: historyTimelines(await readdir(walDir)), segmentSize, threshold: 0.5 });
      if (file === undefined) throw new Error(`round ${round}: replay ${state!.replay} is below half its segment`);
      let inode: number | undefined;
      if (!prealloc && (await stat(join(walDir, file)).catch(() => undefined)) !== undefined) throw new Error(`round ${round}: ${file} exists before a round without it`);
      if (prealloc) {
        const t0 = performance.now();
        await ensureZeroSegment(walDir, file, segmentSize, runAs);
        result.madeMs = Math.round(performance.now() - t0);
        result.file = file;
        inode = (await stat(join(walDir, file))).ino;
      }
      // pg_promote(true) looks for the end of recovery only every 100 ms (WAITS_PER_SECOND in
      // xlogfuncs.c): signal it, then poll pg_is_in_recovery() every 5 ms as the driver does.
      const client = new pg.Client({ host: standby.sock, port: standby.port, user: 'postgres', database: 'postgres' });
      client.on('error', () => undefined);
      await client.connect();
      const t0 = performance.now();
      try {
        await client.query('SELECT pg_promote(false)');
        while ((await client.query('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true) await new Promise((r) => setTimeout(r, 5));
      } finally {
        await client.end().catch(() => undefined);
      }
      result.promoteMs = Math.round(performance.now() - t0);
      await sql(standby, 'INSERT INTO ticks VALUES (DEFAULT)');
      // The name was right: the new timeline is the file's, and the file is there (made by
      // PostgreSQL in the rounds without it; ours, the same inode, opened and not replaced, in the others).
      const [now] = await sql<{ f: string }>(standby, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS f');
      if (now!.f.slice(0, 8) !== file.slice(0, 8)) throw new Error(`round ${round}: promoted to timeline ${now!.f.slice(0, 8)}, predicted ${file}`);
      const after = await stat(join(walDir, file)).catch(() => undefined);
      if (after === undefined) throw new Error(`round ${round}: ${file} does not exist after the promotion`);
      if (inode !== undefined && after.ino !== inode) throw new Error(`round ${round}: ${file} was replaced by the promotion`);
      results.push(result);
      console.log(`round ${round}: ${prealloc ? 'made beforehand' : 'not made      '} WAL at ${result.offsetPct} % pg_promote ${result.promoteMs} ms${result.file ? ` (${result.file} made in ${result.madeMs} ms)` : ''}`);
      // The old primary follows the new one (its WAL, ended by a fast shutdown, is a prefix).
      await writeFile(join(primary.data, 'standby.signal'), '');
      await appendFile(join(primary.data, 'postgresql.auto.conf'), `primary_conninfo = 'host=${base} port=${standby.port} user=postgres application_name=${primary.name}'\n`);
      await chown(join(primary.data, 'standby.signal'), runAs.uid, runAs.gid);
      await start(runAs, primary);
      [primary, standby] = [standby, primary];
    }
  } finally {
    await stop(runAs, primary, 'fast');
    await stop(runAs, standby, 'fast');
  }
  const machine = load.stop();
  const logs = (await Promise.all(['a', 'b'].map((n) => readFile(join(base, `${n}.log`), 'utf8').catch(() => '')))).join('\n');
  const bad = logs.split('\n').filter((l) => /\b(ERROR|FATAL|PANIC):/.test(l) && !/the database system is (starting up|shutting down)|could not send end-of-streaming message to primary|could not connect to the primary server|could not send data to WAL stream|error reading result of streaming command|terminating walreceiver/.test(l));
  await rm(base, { recursive: true, force: true });
  const summary = (made: boolean) => {
    const ms = results.filter((r) => r.prealloc === made).map((r) => r.promoteMs);
    return { n: ms.length, p50: Math.round(percentile(ms, 50)), max: Math.max(...ms), min: Math.min(...ms) };
  };
  const out = { at, not_made: summary(false), made_beforehand: summary(true), made_ms_p50: Math.round(percentile(results.filter((r) => r.madeMs !== undefined).map((r) => r.madeMs as number), 50)), machine: describeLoad(machine), server_log_errors: bad, rounds: results };
  console.log(`pg_promote with WAL at ${at * 100} % of its segment: not made ${JSON.stringify(out.not_made)}, made beforehand ${JSON.stringify(out.made_beforehand)} (making it: p50 ${out.made_ms_p50} ms, outside the promotion)`);
  console.log(`machine: ${out.machine}`);
  console.log(bad.length === 0 ? 'server logs: no ERROR, FATAL or PANIC' : `server logs:\n${bad.join('\n')}`);
  if (json !== undefined) await writeFile(json, JSON.stringify(out, null, 2));
}

await main();
