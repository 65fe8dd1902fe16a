/** /v1/backups by injected requests against a fake backups subsystem: answers, and a clear 4xx for bad input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupRoutes, type BackupsControl } from '../../src/api/backup-routes.js';
import { createControlApi } from '../../src/api/control-api.js';
import { createMetricsRegistry } from '../../src/api/metrics.js';
import { BackupConflictError, UnknownBackupError } from '../../src/backup/jobs/backups.js';
import type { BackupsStatus, OperationStatus } from '../../src/backup/jobs/status.js';
import { FakeDaemonControl } from './fake-control.js';
import { inject } from './inject.js';

const STATUS: BackupsStatus = {
  jobs: [
    {
      name: 'tomcat',
      follows: 'instance web',
      role: 'master',
      state: 'MASTER',
      holdsRole: true,
      schedule: '0 2 * * *',
      repositories: ['/mnt/usb/backups'],
      lastRun: { trigger: 'schedule', startedAt: '2026-12-02T02:00:00.000Z', finishedAt: '2026-12-02T02:01:40.000Z', ok: true, durationMs: 100_000, bytesRead: 5000, bytesAdded: 1200, snapshots: [{ repo: '/mnt/usb/backups', snapshot: 'a'.repeat(64) }], notes: [] },
      latestSnapshot: '2026-12-02T02:00:00.000Z',
      nextRun: '2026-12-03T02:00:00.000Z',
      alarms: [{ kind: 'missed', message: 'no successful snapshot since …', since: '2026-12-02T03:00:00.000Z' }],
      decision: 'nothing due',
    },
  ],
  operations: [],
};

function fake(): BackupsControl & { calls: string[] } {
  const calls: string[] = [];
  const job = (name: string) => {
    if (name !== 'tomcat') throw new UnknownBackupError(`No backup job named '${name}'`);
  };
  return {
    calls,
    status: () => STATUS,
    snapshots: async (name, repo) => {
      job(name);
      calls.push(`snapshots ${repo}`);
      return [];
    },
    tree: async (name, repo, snapshot, path) => {
      job(name);
      if (path === '/missing') throw Object.assign(new Error('No /missing in the snapshot'), { name: 'NoSuchPathError' });
      return { snapshot: { id: snapshot, time: '', hostname: '', paths: [], tags: [] }, path, entries: [] };
    },
    restore: (name, repo, snapshot, path, target, actor) => {
      job(name);
      calls.push(`restore ${repo} ${snapshot} ${path} ${target} ${actor}`);
      return { id: 1, kind: 'restore', job: name, description: path, actor: actor ?? '', state: 'running' } satisfies OperationStatus;
    },
    download: async (name, _repo, _snapshot, path, write) => {
      job(name);
      if (path === '/dir') throw Object.assign(new Error('/dir is a dir, not a file'), { name: 'NoSuchPathError' });
      await write(Buffer.from('abc'));
      await write(Buffer.from('def'));
      return { size: 6 };
    },
    runNow: (name, actor) => {
      job(name);
      throw new BackupConflictError(`Backup job '${name}' runs on the master; this node is BACKUP (asked by ${actor})`);
    },
  };
}

const api = (b = fake()) => createControlApi(new FakeDaemonControl(), { routes: backupRoutes(b) });

test('GET /v1/backups answers the jobs with last run, next run and alarms', async () => {
  const res = await inject(api(), { url: '/v1/backups' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), STATUS);
});

test('a file download streams the bytes as an attachment', async () => {
  const res = await inject(api(), { url: '/v1/backups/jobs/tomcat/snapshots/abc/file?path=/srv/a%20b.txt' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'abcdef');
  assert.equal(res.headers['content-disposition'], "attachment; filename*=UTF-8''a%20b.txt");
  const dir = await inject(api(), { url: '/v1/backups/jobs/tomcat/snapshots/abc/file?path=/dir' });
  assert.equal(dir.status, 404);
  assert.match(dir.json().error, /not a file/);
});

test('restore takes repo, snapshot, path and target and names the actor', async () => {
  const b = fake();
  const res = await inject(api(b), { method: 'POST', url: '/v1/backups/jobs/tomcat/restore', body: { snapshot: 'abc', path: '/srv/x', target: '/var/tmp/r', actor: 'alice' } });
  assert.equal(res.status, 202);
  assert.deepEqual(b.calls, ['restore 0 abc /srv/x /var/tmp/r control socket (alice)']);
});

test('bad input gets a clear 4xx', async () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['GET', '/v1/backups/jobs/nope/snapshots', undefined, 404, /No backup job named 'nope'/],
    ['GET', '/v1/backups/jobs/tomcat/snapshots?repo=x', undefined, 400, /"repo" must be a repository number/],
    ['GET', '/v1/backups/jobs/tomcat/snapshots/abc/tree?path=relative', undefined, 400, /"path" must be an absolute path/],
    ['GET', '/v1/backups/jobs/tomcat/snapshots/abc/tree?path=/missing', undefined, 404, /No \/missing in the snapshot/],
    ['GET', '/v1/backups/jobs/tomcat/snapshots/abc/file', undefined, 400, /"path" must be an absolute path/],
    ['POST', '/v1/backups/jobs/tomcat/restore', '[1]', 400, /must be a JSON object/],
    ['POST', '/v1/backups/jobs/tomcat/restore', { snapshot: 'abc', path: '/x' }, 400, /"target" must be a non-empty string/],
    ['POST', '/v1/backups/jobs/tomcat/restore', { snapshot: 'abc', path: '/x', target: 'relative' }, 400, /"target" must be an absolute directory/],
    ['POST', '/v1/backups/jobs/tomcat/restore', { snapshot: 'abc', path: '/x', target: '/t', repo: -1 }, 400, /"repo" must be a repository number/],
    ['POST', '/v1/backups/jobs/tomcat/run', '{"actor": 5}', 400, /"actor" must be a name/],
    ['POST', '/v1/backups/jobs/tomcat/run', undefined, 409, /runs on the master; this node is BACKUP/],
    ['GET', '/v1/backups/jobs/tomcat/run', undefined, 405, /use POST/],
  ];
  for (const [method, url, body, status, message] of cases) {
    const res = await inject(api(), { method, url, ...(body !== undefined ? { body } : {}) });
    assert.equal(res.status, status, `${method} ${url}: ${res.text}`);
    assert.match(res.json().error, message, `${method} ${url}`);
  }
});

test('metrics: last run, next run, latest snapshot and the alarms per job', async () => {
  const registry = createMetricsRegistry(new FakeDaemonControl(), { defaultMetrics: false, backups: () => STATUS });
  const text = await registry.metrics();
  assert.match(text, /hotstandby_backup_last_run_success\{job="tomcat"\} 1/);
  assert.match(text, /hotstandby_backup_last_run_duration_seconds\{job="tomcat"\} 100/);
  assert.match(text, /hotstandby_backup_last_run_added_bytes\{job="tomcat"\} 1200/);
  assert.match(text, /hotstandby_backup_next_run_timestamp_seconds\{job="tomcat"\} 1796263200/);
  assert.match(text, /hotstandby_backup_alarm\{job="tomcat",alarm="missed"\} 1/);
  assert.match(text, /hotstandby_backup_alarm\{job="tomcat",alarm="failed"\} 0/);
});
