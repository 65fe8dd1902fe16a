import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBackupStatus } from '../../src/cli/backup-status.js';

test('status prints a line per backup job and one per alarm', () => {
  const text = formatBackupStatus({
    jobs: [
      {
        name: 'tomcat',
        follows: 'instance app',
        role: 'master',
        state: 'MASTER',
        holdsRole: true,
        schedule: '30 2 * * *',
        repositories: ['/media/backup/tomcat'],
        lastRun: { trigger: 'schedule', startedAt: '2026-12-02T02:30:00.000Z', finishedAt: '2026-12-02T02:31:40.000Z', ok: false, error: 'disk not mounted', durationMs: 100_000, bytesRead: 0, bytesAdded: 0, snapshots: [], notes: [] },
        latestSnapshot: '2026-12-01T02:30:01.000Z',
        nextRun: '2026-12-03T02:30:00.000Z',
        alarms: [{ kind: 'failed', message: 'disk not mounted', since: '2026-12-02T02:31:40.000Z' }],
        decision: 'nothing due',
      },
    ],
    operations: [],
  });
  const lines = text.split('\n');
  assert.match(lines[0]!, /^BACKUP JOB\s+RUNS ON\s+LAST RUN\s+LATEST SNAPSHOT\s+NEXT RUN$/);
  assert.match(lines[1]!, /^tomcat\s+master of app \(here\)\s+FAILED 2026-12-02 02:31 100s \+0B\s+2026-12-01 02:30\s+2026-12-03 02:30$/);
  assert.equal(lines[2], 'ALARM backup job tomcat: failed: disk not mounted');
});
