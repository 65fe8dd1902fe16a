import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupJobStatus } from '../../src/backup/jobs/status.js';
import { renderBackupTiles } from '../../src/ui/backups-view.js';

function job(over: Partial<BackupJobStatus> = {}): BackupJobStatus {
  return {
    name: '<tomcat>',
    follows: 'instance app',
    role: 'master',
    state: 'MASTER',
    holdsRole: true,
    schedule: '30 2 * * *',
    repositories: ['/media/backup'],
    alarms: [],
    decision: 'x',
    ...over,
  };
}

const view = (jobs: BackupJobStatus[]) => ({ status: () => ({ jobs, operations: [] }), runEffect: (n: string) => `Backs up ${n} now` });

test('a running job shows its progress with rate and ETA; names are escaped', () => {
  const text = renderBackupTiles(view([job({ running: { kind: 'run', trigger: 'schedule', progress: { phase: 'backup', bytes: 50 * 1048576, total: 200 * 1048576, rate: 10 * 1048576, etaSeconds: 15, startedAt: '' } } })]), true).text;
  assert.match(text, /backup: 50\.0 MiB of 200\.0 MiB \(25 %\) at 10\.0 MiB\/s, about 15 s to go/);
  assert.ok(!text.includes('<tomcat>'), 'escaped');
  assert.match(text, /&#60;tomcat&#62;/);
});

test('Run now only for an admin on the node holding the role; alarms listed', () => {
  const alarmed = job({ alarms: [{ kind: 'missed', message: 'no snapshot since 02:30', since: '2026-12-02T03:30:00.000Z' }] });
  assert.match(renderBackupTiles(view([alarmed]), true).text, /data-action="backup-run"/);
  assert.doesNotMatch(renderBackupTiles(view([alarmed]), false).text, /data-action="backup-run"/);
  assert.doesNotMatch(renderBackupTiles(view([job({ holdsRole: false, state: 'BACKUP' })]), true).text, /data-action="backup-run"/);
  const text = renderBackupTiles(view([alarmed]), false).text;
  assert.match(text, /data-alarm="missed">missed since 2026-12-02 03:30:00 UTC: no snapshot since 02:30/);
  assert.match(text, /class="tile backup-job alarmed"/);
});
