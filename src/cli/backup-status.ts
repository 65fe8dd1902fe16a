/** The backup lines of `hotstandby status`: one per job, with its alarms (missed, failed, incomplete, verify). */
import type { BackupsStatus } from '../backup/jobs/status.js';
import { table } from './status.js';

const short = (iso: string | undefined) => (iso === undefined ? '-' : iso.slice(0, 16).replace('T', ' '));

export function formatBackupStatus(status: BackupsStatus): string {
  const rows = status.jobs.map((j) => {
    const last = j.lastRun;
    const lastText = last ? `${last.ok ? 'ok' : last.incomplete ? 'INCOMPLETE' : 'FAILED'} ${short(last.finishedAt)} ${(last.durationMs / 1000).toFixed(0)}s +${last.bytesAdded}B` : '-';
    return [j.name, `${j.role} of ${j.follows.replace(/^instance /, '')}${j.holdsRole ? ' (here)' : ''}`, j.running ? j.running.kind : lastText, short(j.latestSnapshot), short(j.nextRun)];
  });
  const lines = [table(['BACKUP JOB', 'RUNS ON', 'LAST RUN', 'LATEST SNAPSHOT', 'NEXT RUN'], rows)];
  for (const j of status.jobs) for (const a of j.alarms) lines.push(`ALARM backup job ${j.name}: ${a.kind}: ${a.message}`);
  return lines.join('\n');
}
