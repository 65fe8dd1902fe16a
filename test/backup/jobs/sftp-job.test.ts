/**
 * The docs' daily job of the Tomcat pair's data (docs/backups.md) with real worker processes: one
 * repository on a local disk and one over SFTP (Debian's OpenSSH on loopback, reached through the
 * repository's `sftpCommand`, restic's `-o sftp.command`), retention with prune on both; restic
 * 0.14 checks both with --read-data and restores a single file from the SFTP one through its own
 * sftp backend.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalBackend } from '../../../src/backup/backend/local.js';
import { SftpBackend } from '../../../src/backup/backend/sftp.js';
import { Backups } from '../../../src/backup/jobs/backups.js';
import { WorkerProcess } from '../../../src/backup/jobs/worker-client.js';
import { Repository } from '../../../src/backup/repo/repository.js';
import type { BackupJobConfig } from '../../../src/config/backups.js';
import { waitFor } from '../../../src/lab/index.js';
import { sshdSkipReason, startSshd, type SshServer } from '../support/sshd.js';
import { resticSkipReason, runRestic } from '../support/restic.js';
import { collectingLog, realTime, TEST_SCRYPT } from './support.js';

const skip = sshdSkipReason() ?? (resticSkipReason() || undefined);
const scratch = mkdtempSync(join(tmpdir(), 'hs-backupops-sftp-job-'));
let server: SshServer | undefined;
before(async () => {
  if (!skip) server = await startSshd();
});
after(async () => {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('a daily job writes a removable disk and an SFTP server; restic checks both and restores one file over SFTP', { skip, timeout: 180_000 }, async (t) => {
  const data = join(scratch, 'var', 'lib', 'tomcat10', 'webapps', 'ROOT');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'index.jsp'), 'hello from tomcat\n');
  writeFileSync(join(data, 'app.war'), Buffer.alloc(2 * 1024 * 1024, 3));
  const pw = join(scratch, 'backup.pw');
  writeFileSync(pw, 'secret\n');
  const usb = join(scratch, 'media-backup-tomcat');
  await Repository.init(new LocalBackend(usb), 'secret', { scrypt: TEST_SCRYPT });
  const remote = join(server!.dir, 'srv-restic-tomcat');
  const sftpCommand = server!.sftpCommand.join(' ');
  const sftp = new SftpBackend({ user: 'root', host: '127.0.0.1', path: remote }, { command: server!.sftpCommand });
  await Repository.init(sftp, 'secret', { scrypt: TEST_SCRYPT });
  await sftp.close();
  const url = `sftp:root@127.0.0.1:${remote}`;

  const job: BackupJobConfig = {
    name: 'tomcat',
    follows: { kind: 'instance', name: 'app' },
    role: 'master',
    paths: [join(scratch, 'var', 'lib', 'tomcat10', 'webapps')],
    excludes: [],
    stdinFilename: 'tomcat.out',
    repositories: [
      { repo: usb, passwordFile: pw },
      { repo: url, passwordFile: pw, sftpCommand },
    ],
    schedule: '30 2 * * *',
    timezone: 'local',
    missedAfterMs: 2 * 3_600_000,
    retryMs: 900_000,
    tags: [],
    retention: { keepDaily: 7, keepWeekly: 5, keepMonthly: 12, prune: true },
    source: { file: 't.yaml', line: 1 },
  };
  const log = collectingLog();
  const backups = new Backups({ jobs: [job] }, { clock: realTime, timers: realTime, wallClock: () => Date.now(), log, event: () => {}, startWorker: (name) => new WorkerProcess(log, name), resolveUser: async () => ({ uid: 0, gid: 0 }), syncGroups: [] });
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('app', 'MASTER', 'startup');
  const run = await waitFor(() => backups.status().jobs[0]!.lastRun, { description: 'the run', timeoutMs: 120_000 });
  assert.equal(run.ok, true, `${run.error} ${log.lines.join('\n')}`);
  assert.deepEqual(run.snapshots.map((s) => s.repo), [usb, url]);
  assert.match(run.notes.join('; '), /retention: 0 snapshots forgotten, 1 kept/);

  const opt = ['-o', `sftp.command=${sftpCommand}`];
  for (const repo of [['-r', usb], ['-r', url, ...opt]]) {
    const c = await runRestic([...repo, 'check', '--read-data'], 'secret');
    assert.equal(c.code, 0, c.stderr + c.stdout);
  }
  const out = join(scratch, 'restored');
  const file = join(data, 'index.jsp');
  const restored = await runRestic(['-r', url, ...opt, 'restore', 'latest', '--target', out, '--include', file], 'secret');
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(readFileSync(join(out, file), 'utf8'), 'hello from tomcat\n');
});
