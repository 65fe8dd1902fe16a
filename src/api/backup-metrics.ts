/**
 * The backup jobs' metrics, read at scrape time like the others (metrics.ts): per job, the last
 * run's result, time, duration and bytes added, the next run, the latest snapshot, whether this
 * node holds the job's role, whether a run is under way, and the alarms (missed, failed, verify).
 */
import { Gauge, type Registry } from 'prom-client';
import type { BackupsStatus } from '../backup/jobs/status.js';

const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);

export function registerBackupMetrics(registry: Registry, status: () => BackupsStatus): void {
  const registers = [registry];
  const perJob = (name: string, help: string, value: (j: BackupsStatus['jobs'][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['job'] as const,
      registers,
      collect() {
        this.reset();
        for (const j of status().jobs) {
          const v = value(j);
          if (v !== undefined) this.set({ job: j.name }, v);
        }
      },
    });
  perJob('hotstandby_backup_last_run_success', 'Whether the last run of the backup job on this node succeeded (1) or failed or was incomplete (0)', (j) => (j.lastRun ? (j.lastRun.ok ? 1 : 0) : undefined));
  perJob('hotstandby_backup_last_run_timestamp_seconds', 'When the last run of the backup job on this node finished', (j) => seconds(j.lastRun?.finishedAt));
  perJob('hotstandby_backup_last_run_duration_seconds', 'How long the last run of the backup job on this node took', (j) => (j.lastRun ? j.lastRun.durationMs / 1000 : undefined));
  perJob('hotstandby_backup_last_run_added_bytes', 'Bytes the last run added to its repositories (after deduplication, compression and encryption)', (j) => j.lastRun?.bytesAdded);
  perJob('hotstandby_backup_next_run_timestamp_seconds', 'When the backup job is next due', (j) => seconds(j.nextRun));
  perJob('hotstandby_backup_latest_snapshot_timestamp_seconds', "The job's latest snapshot in all of its repositories, as last read by this node", (j) => seconds(j.latestSnapshot));
  perJob('hotstandby_backup_role_held', 'Whether this node holds the role the backup job runs on (1) or not (0)', (j) => (j.holdsRole ? 1 : 0));
  perJob('hotstandby_backup_running', 'Whether a run or verification of the backup job is under way on this node', (j) => (j.running ? 1 : 0));
  new Gauge({
    name: 'hotstandby_backup_alarm',
    help: 'Backup alarms raised on this node (1 while raised): missed (no snapshot in the expected window), failed, incomplete (the last snapshot lacks entries that could not be read), verify',
    labelNames: ['job', 'alarm'] as const,
    registers,
    collect() {
      this.reset();
      for (const j of status().jobs) for (const kind of ['missed', 'failed', 'incomplete', 'verify'] as const) this.set({ job: j.name, alarm: kind }, j.alarms.some((a) => a.kind === kind) ? 1 : 0);
    },
  });
}
