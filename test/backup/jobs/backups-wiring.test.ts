/**
 * The backup subsystem's decisions with fake workers on a fake clock: sync groups, the peer's
 * locks cleared only after a master-down takeover and only once, progress with an ETA, and the
 * missed alarm's event when raised and cleared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backups, type BackupEvent, type BackupWorker } from '../../../src/backup/jobs/backups.js';
import type { JobSpec, Progress, RunResult } from '../../../src/backup/jobs/protocol.js';
import type { BackupJobConfig } from '../../../src/config/backups.js';
import type { RequestHandlers } from '../../../src/backup/jobs/worker-client.js';
import { formatBackupStatus } from '../../../src/cli/backup-status.js';
import { FakeTime } from '../../support/fake-time.js';
import { collectingLog } from './support.js';

interface Call {
  req: Record<string, unknown> & { op: string };
  handlers: RequestHandlers;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class FakeWorkers {
  readonly calls: Call[] = [];
  start = (): BackupWorker => {
    let alive = true;
    return {
      request: <T>(req: Record<string, unknown> & { op: string }, handlers: RequestHandlers = {}) =>
        new Promise<T>((resolve, reject) => this.calls.push({ req, handlers, resolve: resolve as (v: unknown) => void, reject })),
      kill: () => void (alive = false),
      close: async () => void (alive = false),
      get alive() {
        return alive;
      },
    };
  };
  take(op: string): Call {
    const i = this.calls.findIndex((c) => c.req.op === op);
    assert.ok(i >= 0, `a ${op} request (have: ${this.calls.map((c) => c.req.op).join(', ')})`);
    return this.calls.splice(i, 1)[0]!;
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function job(more: Partial<BackupJobConfig> = {}): BackupJobConfig {
  return {
    name: 'j',
    follows: { kind: 'syncGroup', name: 'g' },
    role: 'master',
    paths: ['/srv'],
    excludes: [],
    stdinFilename: 'j.out',
    repositories: [{ repo: '/r', passwordFile: '/pw' }],
    schedule: '0 2 * * *',
    timezone: 'utc',
    missedAfterMs: 3_600_000,
    retryMs: 900_000,
    tags: [],
    source: { file: 't', line: 1 },
    ...more,
  };
}

function setup(jobs: BackupJobConfig[], wall: { now: number }) {
  const time = new FakeTime();
  const workers = new FakeWorkers();
  const events: BackupEvent[] = [];
  const backups = new Backups(
    { jobs, peerHostname: 'node-b' },
    {
      clock: time,
      timers: time,
      wallClock: () => wall.now,
      log: collectingLog(),
      event: (e) => events.push(e),
      startWorker: workers.start,
      resolveUser: async () => ({ uid: 0, gid: 0 }),
      syncGroups: [{ name: 'g', instances: ['web', 'db'], notify: {}, source: { file: 't', line: 1 } }],
    },
  );
  return { backups, workers, events, time };
}

const result = (time: number): RunResult => ({ repo: '/r', snapshot: 'f'.repeat(64), time, filesNew: 1, filesUnchanged: 0, bytesRead: 10, bytesAdded: 5, retention: 'no retention configured', peerLocksRemoved: 0 });

test("a sync group's job follows the group's state; the peer's locks are cleared after a master-down takeover, once", async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers, events } = setup([job()], wall);
  backups.groupChanged('g', 'BACKUP');
  backups.tick();
  assert.equal(workers.calls.length, 0, 'nothing on the backup');
  // A member instance took over because the master-down timer expired: the peer is gone.
  backups.instanceChanged('web', 'MASTER', 'master-down timer expired');
  backups.groupChanged('g', 'MASTER');
  workers.take('latest').resolve(Date.parse('2026-12-19T02:00:05Z'));
  await flush();
  await flush();
  const run = workers.take('run');
  assert.equal((run.req.job as JobSpec).clearLocksOf, 'node-b');
  assert.ok(events.some((e) => /run started \(due at 2026-12-20T02:00:00.000Z\)/.test(e.message)));
  // Progress with an ETA while it runs.
  run.handlers.onProgress?.({ phase: 'backup', bytes: 1000, total: 4000 } satisfies Progress);
  const running = backups.status().jobs[0]!.running!;
  assert.equal(running.progress?.total, 4000);
  assert.ok(running.progress?.etaSeconds !== undefined);
  run.resolve({ ...result(Date.parse('2026-12-20T02:00:31Z')), peerLocksRemoved: 1 });
  await flush();
  await flush();
  assert.deepEqual(backups.status().jobs[0]!.lastRun?.notes, ['no retention configured', 'removed 1 lock(s) of the peer node-b in /r']);
  // The next day's run (still master): the peer's locks are not touched again.
  wall.now = Date.parse('2026-12-21T02:00:01Z');
  backups.tick();
  await flush();
  const next = workers.take('run');
  assert.equal((next.req.job as JobSpec).clearLocksOf, undefined);
});

test('a takeover that is not the peer dying (a preemption, a start-up as owner) clears no lock', async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers } = setup([job({ follows: { kind: 'instance', name: 'web' } })], wall);
  backups.instanceChanged('web', 'MASTER', 'preempting a lower priority master');
  workers.take('latest').resolve(null);
  await flush();
  await flush();
  assert.equal((workers.take('run').req.job as JobSpec).clearLocksOf, undefined);
});

test('the missed alarm: an event when raised, one when cleared', async () => {
  const wall = { now: Date.parse('2026-12-20T03:30:00Z') };
  const { backups, workers, events } = setup([job({ follows: { kind: 'instance', name: 'web' }, schedule: '0 2 * * *', retryMs: 3_600_000 })], wall);
  backups.instanceChanged('web', 'MASTER', 'startup');
  workers.take('latest').resolve(Date.parse('2026-12-19T02:00:05Z'));
  await flush();
  await flush();
  assert.ok(events.some((e) => e.fields?.alarm === 'missed' && /missed backup: no successful snapshot since the run due at 2026-12-20T02:00:00Z/.test(e.message)));
  assert.equal(backups.status().jobs[0]!.alarms[0]?.kind, 'missed');
  workers.take('run').resolve(result(wall.now));
  await flush();
  await flush();
  assert.deepEqual(backups.status().jobs[0]!.alarms, []);
  assert.ok(events.some((e) => /missed alarm cleared/.test(e.message)));
});

test('a run whose snapshot lacks unreadable entries is recorded as incomplete, not as a success: alarm, event and status line; a clean run clears it', async () => {
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const { backups, workers, events } = setup([job({ follows: { kind: 'instance', name: 'web' } })], wall);
  backups.instanceChanged('web', 'MASTER', 'startup');
  workers.take('latest').resolve(Date.parse('2026-12-19T02:00:05Z'));
  await flush();
  await flush();
  const entries = Array.from({ length: 10 }, (_, i) => `/srv/locked-${i}: EACCES: permission denied`);
  workers.take('run').resolve({ ...result(wall.now), unreadable: { count: 12, entries } });
  await flush();
  await flush();
  const s = backups.status().jobs[0]!;
  assert.equal(s.lastRun?.ok, false, 'never a clean success');
  assert.equal(s.lastRun?.incomplete, 12);
  assert.match(s.lastRun?.error ?? '', /^12 entries could not be read and are not in the snapshot: \/srv\/locked-0: EACCES: permission denied; .*\/srv\/locked-9: EACCES: permission denied \(and 2 more\)$/);
  assert.deepEqual(s.alarms.map((a) => a.kind), ['incomplete']);
  assert.ok(events.some((e) => e.fields?.alarm === 'incomplete' && /backup job j: incomplete backup: 12 entries could not be read/.test(e.message)), JSON.stringify(events));
  assert.ok(events.some((e) => /run incomplete: snapshot ffffffff in \/r; 5 bytes added; 12 entries could not be read/.test(e.message)), JSON.stringify(events));
  assert.equal(s.nextRun, '2026-12-21T02:00:00.000Z', 'the snapshot exists: no retry, no missed alarm');
  const lines = formatBackupStatus(backups.status());
  assert.match(lines, /^j .* INCOMPLETE /m, lines);
  assert.match(lines, /^ALARM backup job j: incomplete: 12 entries could not be read/m, lines);
  // The next run reads everything: the alarm clears and the run is a success again.
  wall.now = Date.parse('2026-12-21T02:00:01Z');
  backups.tick();
  await flush();
  workers.take('run').resolve(result(wall.now));
  await flush();
  await flush();
  const t = backups.status().jobs[0]!;
  assert.equal(t.lastRun?.ok, true);
  assert.deepEqual(t.alarms, []);
  assert.ok(events.some((e) => /incomplete alarm cleared/.test(e.message)));
});
