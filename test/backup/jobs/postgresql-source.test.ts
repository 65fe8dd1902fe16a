/**
 * A consistent physical backup of a real PostgreSQL 15 (Debian's, started in a scratch directory
 * as user postgres) as one snapshot: the job's command `pg_basebackup -D - -Ft -X fetch` streams
 * a tar of the cluster with the WAL it needs (PostgreSQL 15 docs, "pg_basebackup": with -D - the
 * tar goes to stdout; -X fetch puts the WAL in it). The tar is read back from the repository,
 * extracted into a new data directory, that cluster started, and the rows committed before the
 * backup are there; restic checks the repository clean and dumps the same tar.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Backups } from '../../../src/backup/jobs/backups.js';
import { WorkerProcess } from '../../../src/backup/jobs/worker-client.js';
import { resolveScriptUser } from '../../../src/check/script-security.js';
import { waitFor } from '../../../src/lab/index.js';
import { collectingLog, initRepository, realTime, restic, resticAvailable } from './support.js';

const BIN = '/usr/lib/postgresql/15/bin';
const skip =
  process.getuid?.() !== 0
    ? 'needs root (PostgreSQL runs as user postgres)'
    : !existsSync(join(BIN, 'pg_basebackup'))
      ? `needs PostgreSQL 15 in ${BIN} (apt-get install postgresql-15)`
      : spawnSync('id', ['postgres']).status !== 0
        ? 'needs the postgres user'
        : false;

const scratch = mkdtempSync(join(tmpdir(), 'hs-backup-pg-'));
const stops: Array<() => void> = [];
after(() => {
  for (const stop of stops.reverse()) stop();
  rmSync(scratch, { recursive: true, force: true });
});

function asPostgres(program: string, args: string[], input?: string): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, program), ...args], { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

function startCluster(dir: string, socketDir: string, port: number): void {
  asPostgres('pg_ctl', ['-D', dir, '-w', '-t', '60', '-l', join(dir, '..', `pg-${port}.log`), '-o', `-p ${port} -k ${socketDir} -c listen_addresses=''`, 'start']);
  stops.push(() => {
    try {
      asPostgres('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']);
    } catch {
      // already stopped
    }
  });
}

const psql = (socketDir: string, port: number, sql: string) => asPostgres('psql', ['-h', socketDir, '-p', String(port), '-d', 'postgres', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql]).trim();

test('PostgreSQL 15: pg_basebackup as a stream into one snapshot, restored and started', { skip, timeout: 180_000 }, async (t) => {
  const { uid, gid } = await resolveScriptUser('postgres');
  chmodSync(scratch, 0o755); // postgres must reach its directories below
  const pgroot = join(scratch, 'pg');
  mkdirSync(pgroot);
  chownSync(pgroot, uid, gid);
  const socketDir = pgroot;
  const data = join(pgroot, 'data');
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = 25000 + (process.pid % 2000);
  startCluster(data, socketDir, port);
  psql(socketDir, port, "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 5000) g;");

  const r = await initRepository(scratch, 'repo');
  const log = collectingLog();
  const backups = new Backups(
    {
      jobs: [
        {
          name: 'pg',
          follows: { kind: 'instance', name: 'db' },
          role: 'master',
          paths: [],
          excludes: [],
          command: `${join(BIN, 'pg_basebackup')} -h ${socketDir} -p ${port} -U postgres -D - -Ft -X fetch --checkpoint=fast`,
          commandUser: 'postgres',
          stdinFilename: 'base.tar',
          repositories: [r],
          schedule: '0 1 * * *',
          timezone: 'utc',
          missedAfterMs: 3_600_000,
          retryMs: 900_000,
          tags: ['postgresql'],
          source: { file: 't.yaml', line: 1 },
        },
      ],
    },
    {
      clock: realTime,
      timers: realTime,
      wallClock: () => Date.parse('2026-12-20T01:00:30Z'),
      log,
      event: () => undefined,
      startWorker: (name) => new WorkerProcess(log, name),
      resolveUser: async (user) => {
        const u = await resolveScriptUser(user);
        return { uid: u.uid, gid: u.gid };
      },
      syncGroups: [],
    },
  );
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('db', 'MASTER', 'startup');
  const run = await waitFor(() => backups.status().jobs[0]?.lastRun, { description: 'the base backup', timeoutMs: 120_000 });
  assert.equal(run.ok, true, `${run.error} ${log.lines.join('\n')}`);
  // Written after the backup: must not be in the restored cluster.
  psql(socketDir, port, "INSERT INTO orders VALUES (9999, 'after the backup')");

  const [snapshot] = await backups.snapshots('pg', 0);
  assert.ok(snapshot);
  assert.deepEqual(snapshot.paths, ['/base.tar']);
  const tarFile = join(scratch, 'base.tar');
  const chunks: Buffer[] = [];
  await backups.download('pg', 0, snapshot.id, '/base.tar', async (c) => void chunks.push(c));
  writeFileSync(tarFile, Buffer.concat(chunks));

  const restored = join(pgroot, 'restored');
  mkdirSync(restored, { mode: 0o700 });
  execFileSync('tar', ['-x', '-f', tarFile, '-C', restored]);
  execFileSync('chown', ['-R', 'postgres:postgres', restored]);
  const port2 = port + 1;
  startCluster(restored, socketDir, port2);
  assert.equal(psql(socketDir, port2, 'SELECT count(*), sum(id) FROM orders WHERE id <= 5000'), `5000|${(5000 * 5001) / 2}`);
  assert.equal(psql(socketDir, port2, 'SELECT count(*) FROM orders WHERE id = 9999'), '0', 'a point-in-time copy: the later row is not there');

  if (resticAvailable()) {
    restic(r, ['check', '--read-data']);
    const dumped = execFileSync('restic', ['--no-cache', '-r', r.repo, '--password-file', r.passwordFile, 'dump', 'latest', '/base.tar'], { maxBuffer: 1 << 30 });
    assert.ok(dumped.equals(Buffer.concat(chunks)), 'restic dumps the same tar');
  }
});
