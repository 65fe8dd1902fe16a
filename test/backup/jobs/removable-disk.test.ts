/**
 * A job's repository on a removable disk that no /etc/fstab line names (`requireMount`, the CLI's
 * --require-mount), with real worker processes and a real tmpfs as the disk: unplugged, the job
 * fails with the failed alarm and writes nothing on the filesystem under the mount point, even
 * where a stray repository lies there (an `init` run while the disk was out); plugged in, it
 * runs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { LocalBackend } from '../../../src/backup/backend/local.js';
import { Backups, type BackupEvent } from '../../../src/backup/jobs/backups.js';
import { WorkerProcess } from '../../../src/backup/jobs/worker-client.js';
import { Repository } from '../../../src/backup/repo/repository.js';
import type { BackupJobConfig } from '../../../src/config/backups.js';
import { waitFor } from '../../../src/lab/index.js';
import { collectingLog, realTime, restic, resticAvailable, TEST_SCRYPT } from './support.js';

const skip = process.getuid?.() !== 0 && 'mounting a tmpfs as the removable disk needs root';
const scratch = mkdtempSync(join(tmpdir(), 'hs-backup-removable-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // not mounted (any more)
  }
}

/** Every path below `dir` with its size and mtime: what a write would change. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((p) => {
      const st = statSync(join(dir, p));
      return `${relative(dir, join(dir, p))} ${st.size} ${st.mtimeMs}`;
    });
}

test('a job whose repository requires a mount: refused with the failed alarm while nothing is mounted, writing nothing under the mount point; mounted, it runs', { skip, timeout: 120_000 }, async (t) => {
  const data = join(scratch, 'webapps');
  mkdirSync(data);
  writeFileSync(join(data, 'index.jsp'), 'hello from tomcat\n');
  const passwordFile = join(scratch, 'usb.pw');
  writeFileSync(passwordFile, 'secret\n');
  const media = join(scratch, 'media-usb');
  const repo = join(media, 'tomcat');
  // A stray repository on the root filesystem, under the empty mount point: without requireMount
  // the job would open it and back up onto the root filesystem.
  await Repository.init(new LocalBackend(repo), 'secret', { scrypt: TEST_SCRYPT });
  const before = listing(media);

  const job: BackupJobConfig = {
    name: 'tomcat',
    follows: { kind: 'instance', name: 'app' },
    role: 'master',
    paths: [data],
    excludes: [],
    stdinFilename: 'tomcat.out',
    repositories: [{ repo, passwordFile, requireMount: media }],
    schedule: '30 2 * * *',
    timezone: 'utc',
    missedAfterMs: 7_200_000,
    retryMs: 900_000,
    tags: [],
    source: { file: 'hotstandby.yaml', line: 1 },
  };
  const events: BackupEvent[] = [];
  const log = collectingLog();
  const wall = { now: Date.parse('2026-12-20T02:30:00Z') };
  const backups = new Backups(
    { jobs: [job] },
    { clock: realTime, timers: realTime, wallClock: () => wall.now, log, event: (e) => events.push(e), startWorker: (name) => new WorkerProcess(log, name), resolveUser: async () => ({ uid: 0, gid: 0 }), syncGroups: [] },
  );
  t.after(() => backups.close());
  t.after(() => unmount(media));
  const status = () => backups.status().jobs.find((j) => j.name === 'tomcat')!;
  const refused = new RegExp(`nothing is mounted on ${media} \\(is the disk plugged in\\?\\): refusing to use ${repo}`);

  backups.start();
  backups.instanceChanged('app', 'MASTER', 'startup as address owner');
  // Reading the repositories for the latest snapshot is refused: the failed alarm, and no run.
  const alarm = await waitFor(() => status().alarms.find((a) => a.kind === 'failed') ?? status().lastRun, { description: 'the failed alarm (or a run)', timeoutMs: 60_000 });
  assert.ok('kind' in alarm, `the job ran instead of being refused: ${JSON.stringify(alarm)}`);
  assert.match(alarm.message, refused);
  assert.ok(events.some((e) => /backup job tomcat: failed: cannot read the repositories: nothing is mounted on/.test(e.message)), JSON.stringify(events));
  // A run asked for by hand is refused too, by the worker that would write.
  backups.runNow('tomcat', 'test');
  const failed = await waitFor(() => status().lastRun, { description: 'the run now', timeoutMs: 60_000 });
  assert.equal(failed.ok, false, 'the run must fail while the disk is not mounted');
  assert.match(failed.error ?? '', refused);
  assert.match(status().alarms.find((a) => a.kind === 'failed')?.message ?? '', refused);
  assert.deepEqual(listing(media), before, 'nothing written under the mount point on the root filesystem');

  // The disk plugged in (and prepared with its repository): the next run completes onto it.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', media]);
  await Repository.init(new LocalBackend(repo), 'secret', { scrypt: TEST_SCRYPT });
  backups.runNow('tomcat', 'test');
  const done = await waitFor(() => (status().lastRun !== failed ? status().lastRun : undefined), { description: 'the run once mounted', timeoutMs: 60_000 });
  assert.equal(done.ok, true, done.error);
  assert.deepEqual(status().alarms, [], 'the success clears the failed alarm');
  assert.equal((await backups.snapshots('tomcat', 0)).length, 1);
  if (resticAvailable()) restic({ repo, passwordFile }, ['check', '--read-data']);
  await backups.close();
  unmount(media);
  assert.deepEqual(listing(media), before, 'the snapshot went onto the disk, not under it');
});
