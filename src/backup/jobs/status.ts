/**
 * What the operator sees of the backup jobs (status, /v1/backups, metrics, the dashboard): plain
 * data, built by backups.ts. Times are ISO strings; durations and sizes plain numbers.
 */

export interface OperationProgress {
  phase: string;
  bytes: number;
  total?: number;
  files?: number;
  /** Bytes per second since the start. */
  rate: number;
  /** Seconds to go at that rate, when the total is known. */
  etaSeconds?: number;
  startedAt: string;
}

export interface RunRecord {
  trigger: string;
  startedAt: string;
  finishedAt: string;
  /** False for a failed run, and for an incomplete one (its snapshot lacks unreadable entries). */
  ok: boolean;
  error?: string;
  /** Entries that could not be read and are not in the run's snapshots (restic's exit code 3). */
  incomplete?: number;
  durationMs: number;
  bytesRead: number;
  bytesAdded: number;
  snapshots: Array<{ repo: string; snapshot: string }>;
  notes: string[];
}

export interface VerifyRecord {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  summary: string;
  problems: string[];
}

export interface Alarm {
  /** incomplete: the last run saved its snapshots, but entries that could not be read are not in them. */
  kind: 'missed' | 'failed' | 'incomplete' | 'verify';
  message: string;
  since: string;
}

export interface BackupJobStatus {
  name: string;
  follows: string;
  role: 'master' | 'backup';
  /** The followed instance's / group's state on this node. */
  state: string;
  holdsRole: boolean;
  schedule: string;
  repositories: string[];
  running?: { kind: 'run' | 'verify'; trigger: string; progress?: OperationProgress };
  lastRun?: RunRecord;
  lastVerify?: VerifyRecord;
  /** The latest snapshot of the job in all its repositories (as last read). */
  latestSnapshot?: string;
  nextRun?: string;
  alarms: Alarm[];
  /** What the policy decided last, in a sentence. */
  decision: string;
}

export interface OperationStatus {
  id: number;
  kind: 'restore';
  job: string;
  description: string;
  actor: string;
  state: 'running' | 'done' | 'failed';
  progress?: OperationProgress;
  result?: string;
  error?: string;
}

export interface BackupsStatus {
  jobs: BackupJobStatus[];
  operations: OperationStatus[];
}

/** Rate and ETA from bytes done, the total and the time elapsed. */
export function progressOf(p: { phase: string; bytes: number; total?: number; files?: number }, startedMs: number, nowMs: number, startedAt: string): OperationProgress {
  const seconds = Math.max((nowMs - startedMs) / 1000, 0.001);
  const rate = p.bytes / seconds;
  const out: OperationProgress = { phase: p.phase, bytes: p.bytes, rate: Math.round(rate), startedAt };
  if (p.total !== undefined) {
    out.total = p.total;
    if (rate > 0) out.etaSeconds = Math.max(0, Math.round((p.total - p.bytes) / rate));
  }
  if (p.files !== undefined) out.files = p.files;
  return out;
}
