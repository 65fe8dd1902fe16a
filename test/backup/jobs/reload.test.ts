/**
 * Backup jobs on reload (issue 13 §4): the plan (added, removed, changed keys), the policy's
 * carry-over, and the runner with fake workers on a fake clock — a changed job's run finishes
 * under its old definition, a removed job's run is stopped and its worker's locks released, the
 * next run follows the new schedule, and a reload naming an unreadable password file is refused
 * with the old jobs untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Backups, type BackupEvent, type BackupWorker } from '../../../src/backup/jobs/backups.js';
import { parseCron } from '../../../src/backup/jobs/cron.js';
import { JobPolicy, type JobTiming } from '../../../src/backup/jobs/policy.js';
import type { JobSpec, RunResult } from '../../../src/backup/jobs/protocol.js';
import { planBackupsReload } from '../../../src/backup/jobs/reload-plan.js';
import type { RequestHandlers } from '../../../src/backup/jobs/worker-client.js';
import type { BackupJobConfig } from '../../../src/config/backups.js';
import type { SyncGroupConfig } from '../../../src/config/model.js';
import { FakeTime } from '../../support/fake-time.js';
import { collectingLog } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'backupops-reload-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const pw = join(dir, 'pw');
writeFileSync(pw, 'secret\n');

function job(more: Partial<BackupJobConfig> = {}): BackupJobConfig {
  return {
    name: 'j',
    follows: { kind: 'instance', name: 'web' },
    role: 'master',
    paths: ['/srv'],
    excludes: [],
    stdinFilename: 'j.out',
    repositories: [{ repo: '/r', passwordFile: pw }],
    schedule: '0 2 * * *',
    timezone: 'utc',
    missedAfterMs: 3_600_000,
    retryMs: 900_000,
    tags: [],
    source: { file: 't', line: 1 },
    ...more,
  };
}

interface Call {
  req: Record<string, unknown> & { op: string };
  handlers: RequestHandlers;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  worker: { pid: number; killed: boolean };
}

class FakeWorkers {
  readonly calls: Call[] = [];
  private nextPid = 1000;
  start = (): BackupWorker => {
    const self = { pid: this.nextPid++, killed: false };
    const pending: Call[] = [];
    return {
      pid: self.pid,
      request: <T>(req: Record<string, unknown> & { op: string }, handlers: RequestHandlers = {}) =>
        new Promise<T>((resolve, reject) => {
          const c = { req, handlers, resolve: resolve as (v: unknown) => void, reject, worker: self };
          pending.push(c);
          this.calls.push(c);
        }),
      kill: () => {
        self.killed = true;
        for (const c of pending.splice(0)) c.reject(new Error('killed'));
      },
      close: async () => void (self.killed = true),
      get alive() {
        return !self.killed;
      },
    };
  };
  take(op: string): Call {
    const i = this.calls.findIndex((c) => c.req.op === op);
    assert.ok(i >= 0, `a ${op} request (have: ${this.calls.map((c) => c.req.op).join(', ')})`);
    return this.calls.splice(i, 1)[0]!;
  }
  has(op: string): boolean {
    return this.calls.some((c) => c.req.op === op);
  }
}

const flush = async () => {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
};
const groups: SyncGroupConfig[] = [];
const result = (time: number): RunResult => ({ repo: '/r', snapshot: 'f'.repeat(64), time, filesNew: 1, filesUnchanged: 0, bytesRead: 10, bytesAdded: 5, retention: 'no retention configured', peerLocksRemoved: 0 });

function setup(jobs: BackupJobConfig[], wall: { now: number }) {
  const time = new FakeTime();
  const workers = new FakeWorkers();
  const events: BackupEvent[] = [];
  const log = collectingLog();
  const backups = new Backups({ jobs }, { clock: time, timers: time, wallClock: () => wall.now, log, event: (e) => events.push(e), startWorker: workers.start, resolveUser: async () => ({ uid: 0, gid: 0 }), syncGroups: groups });
  backups.start();
  return { backups, workers, events, log };
}

async function reload(backups: Backups, jobs: BackupJobConfig[]): Promise<string[]> {
  const r = await backups.prepare({ backups: { jobs }, syncGroups: groups });
  r.apply();
  await flush();
  return r.changes;
}

test('planBackupsReload() names added, removed and changed jobs with the keys that changed', () => {
  const plan = planBackupsReload({ jobs: [job(), job({ name: 'old' }), job({ name: 'same' })] }, { jobs: [job({ schedule: '0 3 * * *', retention: { keepDaily: 7, prune: true }, source: { file: 't', line: 9 } }), job({ name: 'new' }), job({ name: 'same', source: { file: 'u', line: 40 } })] });
  assert.deepEqual(plan.added.map((j) => j.name), ['new']);
  assert.deepEqual(plan.removed, ['old']);
  assert.deepEqual(plan.changed.map((c) => [c.config.name, c.what, c.repositoriesChanged]), [['j', ['schedule', 'retention'], false]]);
  assert.deepEqual(plan.describe(), ['backup job new added', 'backup job old removed', 'backup job j changed (schedule, retention)']);
  assert.deepEqual(planBackupsReload({ jobs: [job()] }, { jobs: [job({ source: { file: 'x', line: 2 } })] }).describe(), [], 'moving a job in the file is no change');
});

const HOUR = 3_600_000;
const policy = (more: Partial<JobTiming> = {}) => new JobPolicy({ schedule: parseCron('0 2 * * *'), zone: 'utc', role: 'master', missedAfterMs: HOUR, retryMs: 900_000, ...more });

test('JobPolicy.succeed() keeps what the repositories said unless they changed; a new schedule gives the next run', () => {
  const t0 = Date.parse('2026-12-20T12:00:00Z');
  const old = policy();
  old.roleChanged('MASTER', t0 - HOUR);
  old.repositoriesRead(Date.parse('2026-12-20T02:00:05Z'));
  assert.equal(old.decide(t0).action, 'wait');
  assert.equal(new Date(old.nextRun(t0)!).toISOString(), '2026-12-21T02:00:00.000Z');

  const hourly = policy({ schedule: parseCron('30 * * * *') });
  hourly.succeed(old, t0, false);
  assert.equal(new Date(hourly.nextRun(t0)!).toISOString(), '2026-12-20T12:30:00.000Z', 'the next run is recomputed');
  const d = hourly.decide(t0);
  assert.equal(d.action, 'run', 'the 11:30 run of the new schedule has no snapshot');
  assert.equal(hourly.latestSuccess(), Date.parse('2026-12-20T02:00:05Z'));

  const moved = policy();
  moved.succeed(old, t0, true);
  assert.equal(moved.decide(t0).action, 'read-repositories', 'new repositories are read before anything runs');
  assert.equal(moved.latestSuccess(), undefined);

  const onBackup = policy({ role: 'backup' });
  onBackup.succeed(old, t0, false);
  assert.equal(onBackup.holdsRole(), false, 'role master → backup on the master: not ours any more');
  assert.equal(onBackup.decide(t0).action, 'wait');

  const verifying = policy({ verify: parseCron('0 * * * *') });
  verifying.succeed(old, t0 + 60_000, false);
  assert.equal(verifying.decide(t0 + 60_000).action, 'wait', 'a new verification schedule starts from now (no catch-up)');
  assert.equal(verifying.decide(t0 + HOUR).action, 'verify');

  const busy = policy();
  busy.roleChanged('MASTER', t0);
  busy.started('run', t0);
  assert.throws(() => policy().succeed(busy, t0, false), /while a run is under way/);
});

test('reload: a changed job runs its run to the end under the old definition, then the new one applies', async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers, events } = setup([job()], wall);
  backups.instanceChanged('web', 'MASTER', 'startup');
  workers.take('latest').resolve(Date.parse('2026-12-19T02:00:05Z'));
  await flush();
  const run = workers.take('run');
  assert.deepEqual((run.req.job as JobSpec).paths, ['/srv']);

  const changes = await reload(backups, [job({ paths: ['/srv', '/etc'], schedule: '0 */6 * * *' })]);
  assert.deepEqual(changes, ['backup job j changed (paths, schedule)']);
  assert.equal(run.worker.killed, false, 'the run under way is not stopped');
  assert.equal(backups.status().jobs[0]!.schedule, '0 2 * * *', 'still the old definition while it runs');
  run.resolve(result(wall.now));
  await flush();
  const s = backups.status().jobs[0]!;
  assert.equal(s.schedule, '0 */6 * * *');
  assert.equal(s.lastRun?.ok, true, 'the last run carries over');
  assert.equal(s.nextRun, '2026-12-20T06:00:00.000Z', 'the next run follows the new schedule');
  assert.ok(!events.some((e) => /failed|stopped/.test(e.message)));

  wall.now = Date.parse('2026-12-20T06:00:02Z');
  backups.tick();
  await flush();
  assert.deepEqual((workers.take('run').req.job as JobSpec).paths, ['/srv', '/etc'], 'the next run uses the new paths');
});

test('reload: a removed job is stopped, its worker\'s locks released; an added job starts from the known role', async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers, events, log } = setup([job()], wall);
  backups.instanceChanged('web', 'MASTER', 'startup');
  workers.take('latest').resolve(Date.parse('2026-12-19T02:00:05Z'));
  await flush();
  const run = workers.take('run');

  const changes = await reload(backups, [job({ name: 'k', paths: ['/var'] })]);
  assert.deepEqual(changes, ['backup job k added', 'backup job j removed']);
  assert.equal(run.worker.killed, true, 'the removed job\'s worker is stopped');
  await flush();
  const release = workers.take('release-locks');
  assert.equal(release.req.pid, run.worker.pid, 'the locks of that worker only');
  assert.deepEqual(release.req.repositories, [{ repo: '/r', passwordFile: pw }]);
  release.resolve([{ repo: '/r', locks: 1 }]);
  await flush();
  assert.ok(log.lines.some((l) => /1 lock\(s\) of its stopped worker removed from \/r/.test(l)), log.lines.join('\n'));
  assert.ok(events.some((e) => /backup job j: run stopped: the job was removed by a reload/.test(e.message)));
  assert.ok(!events.some((e) => /alarm|failed/.test(e.message)), 'a removal is no failure');

  // The added job follows web, which is MASTER: it reads its repositories and runs.
  assert.deepEqual(backups.status().jobs.map((j) => [j.name, j.holdsRole]), [['k', true]]);
  workers.take('latest').resolve(null);
  await flush();
  assert.deepEqual((workers.take('run').req.job as JobSpec).paths, ['/var']);
});

test('reload: a job whose password file cannot be read is refused, naming the key; the old jobs keep running', async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers } = setup([job()], wall);
  backups.instanceChanged('web', 'MASTER', 'startup');
  workers.take('latest').resolve(Date.parse('2026-12-19T02:00:05Z'));
  await flush();
  const run = workers.take('run');
  await assert.rejects(
    backups.prepare({ backups: { jobs: [job({ repositories: [{ repo: '/r', passwordFile: join(dir, 'missing.pw') }] }), job({ name: 'x', command: 'no-such-program-backupops --dump' })] }, syncGroups: groups }),
    (err: Error) => err.name === 'ConfigError' && /backups\.jobs\.j\.repositories\[0\]\.passwordFile: cannot read .*missing\.pw: ENOENT/.test(err.message) && /backups\.jobs\.x\.command: program "no-such-program-backupops" not found/.test(err.message),
  );
  assert.equal(run.worker.killed, false);
  assert.deepEqual(backups.status().jobs.map((j) => j.name), ['j']);
  assert.equal(backups.status().jobs[0]!.running?.kind, 'run');
});

test('reload: jobs added to a daemon that had none start being scheduled', async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers } = setup([], wall);
  backups.instanceChanged('web', 'BACKUP', 'startup');
  await reload(backups, [job({ role: 'backup' })]);
  workers.take('latest').resolve(null);
  await flush();
  assert.equal(workers.take('run').req.op, 'run');
});
