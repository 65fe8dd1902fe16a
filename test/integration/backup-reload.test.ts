/**
 * Backup jobs change on reload without a restart, in the lab with a real daemon (issue 13 §4):
 *
 * - `gone` is removed while its run holds a lock (its command waits forever): the run is
 *   stopped, its lock released, and restic checks the repository clean (restic's check needs an
 *   exclusive lock: a lock left behind would fail it);
 * - `steady` is changed while its run is under way (new stdin file name and schedule): the run
 *   finishes under the definition it started with, and the next run time follows the new schedule;
 * - `added` is added and runs at once (it has never been backed up);
 * - a reload with a bad cron expression, and one naming a password file that does not exist,
 *   are refused with the key named; the jobs stay as they were.
 *
 * And a daemon started with no `backups:` at all: the first jobs a reload adds show at once in
 * /v1/backups, `hotstandby status`, the metrics and the dashboard (not only after a restart), and run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import type { BackupsStatus } from '../../src/backup/jobs/status.js';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { packageRoot } from '../../src/net/native.js';
import { resticAvailable, TEST_SCRYPT } from '../backup/jobs/support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason() ?? (resticAvailable() ? undefined : 'needs restic (apt-get install restic)');
const CLI = join(packageRoot(), 'bin', 'hotstandby');

interface Job {
  name: string;
  body: string;
}

function yaml(vip: string, jobs: Job[]): string {
  return `instances:
  web:
    interface: eth0
    vrid: 62
    version: 3
    priority: 150
    advertInterval: 200ms
    vips: [${vip}/24]
backups:
  jobs:
${jobs.map((j) => `    ${j.name}:\n      instance: web\n${j.body.trim().split('\n').map((l) => `      ${l.trim()}`).join('\n')}`).join('\n')}
`;
}

test('backup jobs are added, removed and changed by a reload; a removed run leaves no lock; bad job config is refused', { skip, timeout: 180_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const repo = join(lab.dir, 'repo');
  const pw = lab.writeFile('repo.pw', 'secret\n');
  const data = join(lab.dir, 'data.bin');
  const go = join(lab.dir, 'go');
  writeFileSync(data, Buffer.alloc(1024 * 1024, 'y'));
  const tree = join(lab.dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'a.txt'), 'added job\n');
  const repository = await Repository.init(new LocalBackend(repo), 'secret', { scrypt: TEST_SCRYPT });
  const target = `repositories: [{ repo: ${repo}, passwordFile: ${pw} }]`;
  const gone: Job = { name: 'gone', body: `command: sh -c "cat ${data}; sleep 600"\nstdinFilename: gone.bin\n${target}\nschedule: "0 3 * * *"\ntimezone: utc` };
  const steady = (filename: string, schedule: string): Job => ({ name: 'steady', body: `command: sh -c "cat ${data}; while [ ! -e ${go} ]; do sleep 0.1; done"\nstdinFilename: ${filename}\n${target}\nschedule: "${schedule}"\ntimezone: utc` });
  const added: Job = { name: 'added', body: `paths: [${tree}]\n${target}\nschedule: "0 3 * * *"\ntimezone: utc` };

  const config = join(lab.dir, 'a.yaml');
  writeFileSync(config, yaml(vip, [gone, steady('steady-old.bin', '0 3 * * *')]));
  const runtime = join(lab.dir, 'run-a');
  mkdirSync(runtime);
  lab.spawn('a', [process.execPath, CLI, 'run', '--config', config, '--runtime-dir', runtime, '--log-format', 'json'], { name: 'hs-a', cwd: packageRoot() });
  const status = async () => (await getJson(controlSocketPath(runtime), '/v1/backups')) as BackupsStatus;
  const job = async (name: string) => (await status()).jobs.find((j) => j.name === name);
  const reload = async (): Promise<{ code: number; output: string }> => {
    try {
      const r = await lab.exec('a', [process.execPath, CLI, 'reload', '--runtime-dir', runtime]);
      return { code: 0, output: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { exitCode?: number; stderr?: string; stdout?: string };
      return { code: e.exitCode ?? -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
    }
  };
  const lockCount = async () => (await repository.list('locks')).length;

  // Never backed up: both run as soon as a is master; both hold a lock in their command.
  await waitFor(async () => (await job('gone').catch(() => undefined))?.running && (await job('steady'))?.running, { description: 'both jobs run', timeoutMs: 60_000 });
  await waitFor(async () => (await lockCount()) === 2, { description: 'two locks in the repository', timeoutMs: 30_000 });

  // Refused: a bad cron expression, and a password file that is not there. Nothing changes.
  writeFileSync(config, yaml(vip, [gone, steady('steady-old.bin', '0 25 * * *')]));
  const badCron = await reload();
  assert.notEqual(badCron.code, 0, badCron.output);
  assert.match(badCron.output, /steady.*schedule|schedule.*25/s);
  writeFileSync(config, yaml(vip, [gone, steady('steady-old.bin', '0 3 * * *'), { name: 'added', body: added.body.replace(pw, join(lab.dir, 'missing.pw')) }]));
  const badPassword = await reload();
  assert.notEqual(badPassword.code, 0, badPassword.output);
  assert.match(badPassword.output, /backups\.jobs\.added\.repositories\[0\]\.passwordFile: cannot read .*missing\.pw/);
  assert.deepEqual((await status()).jobs.map((j) => [j.name, Boolean(j.running)]), [['gone', true], ['steady', true]], 'the old jobs run on');
  assert.equal(await lockCount(), 2);

  // Accepted: gone removed, steady changed while it runs, added added.
  writeFileSync(config, yaml(vip, [steady('steady-new.bin', '30 4 * * *'), added]));
  const ok = await reload();
  assert.equal(ok.code, 0, ok.output);
  assert.match(ok.output, /backup job added added/);
  assert.match(ok.output, /backup job gone removed/);
  assert.match(ok.output, /backup job steady changed \(stdinFilename, schedule\)/);
  await waitFor(async () => (await status()).jobs.every((j) => j.name !== 'gone'), { description: 'gone is gone' });
  assert.equal((await job('steady'))?.running?.kind, 'run', 'the changed job\'s run goes on');
  const addedRun = await waitFor(async () => (await job('added'))?.lastRun, { description: 'the added job ran', timeoutMs: 60_000 });
  assert.equal(addedRun.ok, true, addedRun.error);
  await waitFor(async () => (await lockCount()) === 1, { description: "gone's lock released (steady's stays while it runs)", timeoutMs: 30_000 });

  writeFileSync(go, '');
  const steadyRun = await waitFor(async () => (await job('steady'))?.lastRun, { description: 'steady finished', timeoutMs: 60_000 });
  assert.equal(steadyRun.ok, true, steadyRun.error);
  const s = (await job('steady'))!;
  assert.equal(s.schedule, '30 4 * * *');
  assert.match(s.nextRun ?? '', /T04:30:00\.000Z$/, 'the next run follows the new schedule');
  assert.equal(await lockCount(), 0);

  const env = { ...process.env, RESTIC_PASSWORD_FILE: pw };
  const snaps = JSON.parse(execFileSync('restic', ['--no-cache', '-r', repo, 'snapshots', '--json'], { env, encoding: 'utf8' })) as Array<{ paths: string[]; tags: string[] }>;
  assert.deepEqual(snaps.map((x) => [x.tags[0], x.paths]).sort(), [['hotstandby-job:added', [tree]], ['hotstandby-job:steady', ['/steady-old.bin']]], 'the run under way finished under its old definition; the removed job left no snapshot');
  // An exclusive lock and a full read: nothing of the stopped run is left locked or half-written.
  execFileSync('restic', ['--no-cache', '-r', repo, 'check', '--read-data'], { env, encoding: 'utf8' });
  assert.equal(readdirSync(join(repo, 'locks')).length, 0);
});

/** GET over the control socket, as text (the dashboard's HTML, the metrics). */
function getText(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('jobs a reload adds to a daemon started with none show at once in /v1/backups, status, metrics and the dashboard, and run', { skip, timeout: 180_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const repo = join(lab.dir, 'repo');
  const pw = lab.writeFile('repo.pw', 'secret\n');
  const tree = join(lab.dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'a.txt'), 'first job\n');
  await Repository.init(new LocalBackend(repo), 'secret', { scrypt: TEST_SCRYPT });
  const noJobs = yaml(vip, []).replace(/backups:\n  jobs:\n\n?$/, '');
  assert.doesNotMatch(noJobs, /backups/);
  const config = join(lab.dir, 'a.yaml');
  writeFileSync(config, noJobs);
  const runtime = join(lab.dir, 'run-a');
  mkdirSync(runtime);
  lab.spawn('a', [process.execPath, CLI, 'run', '--config', config, '--runtime-dir', runtime, '--log-format', 'json'], { name: 'hs-a', cwd: packageRoot() });
  const socket = controlSocketPath(runtime);
  const status = async () => (await getJson(socket, '/v1/backups')) as BackupsStatus;
  await waitFor(async () => (await getJson(socket, '/v1/status').catch(() => undefined)) !== undefined, { description: 'the daemon answers', timeoutMs: 60_000 });
  assert.deepEqual((await status()).jobs, [], 'no jobs yet: an empty list');
  const before = await getText(socket, '/');
  assert.equal(before.status, 200);
  assert.match(before.body, /No backup jobs are configured on this node/, 'the placeholder says how to add jobs');
  const hsStatus = async () => (await lab.exec('a', [process.execPath, CLI, 'status', '--runtime-dir', runtime])).stdout;
  assert.doesNotMatch(await hsStatus(), /BACKUP JOB/, 'no backup table without jobs');

  writeFileSync(config, yaml(vip, [{ name: 'first', body: `paths: [${tree}]\nrepositories: [{ repo: ${repo}, passwordFile: ${pw} }]\nschedule: "0 3 * * *"\ntimezone: utc` }]));
  const reloaded = await lab.exec('a', [process.execPath, CLI, 'reload', '--runtime-dir', runtime]);
  assert.match(reloaded.stdout + reloaded.stderr, /backup job first added/);

  // At once, without a restart: the API, the dashboard (page and tiles), status and the metrics.
  assert.deepEqual((await status()).jobs.map((j) => j.name), ['first']);
  const page = await getText(socket, '/');
  assert.match(page.body, /<section id="backups"/, 'the Backups section replaces the placeholder');
  assert.match(page.body, /data-job="first"/);
  assert.doesNotMatch(page.body, /No backup jobs are configured on this node/);
  const tiles = await getText(socket, '/ui/fragments/backups');
  assert.equal(tiles.status, 200);
  assert.match(tiles.body, /data-job="first"/);
  assert.match(await hsStatus(), /BACKUP JOB[\s\S]*\nfirst /);
  assert.match((await getText(socket, '/metrics')).body, /hotstandby_backup_role_held\{job="first"\} [01]/);
  // And it runs (never backed up: due at once once a is master).
  const run = await waitFor(async () => (await status()).jobs[0]?.lastRun, { description: 'the added job ran', timeoutMs: 90_000 });
  assert.equal(run.ok, true, run.error);
  assert.match((await getText(socket, '/ui/fragments/backups')).body, /data-ok="true"/);
});
