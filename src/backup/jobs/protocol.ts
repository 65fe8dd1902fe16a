/**
 * The messages between the daemon and its backup worker processes (Node IPC, advanced
 * serialisation so file bytes travel as Buffers). Every request has an id; the worker answers
 * with progress messages, then one `done` or `failed`. The parent is worker-client.ts,
 * the child worker.ts.
 */
import type { BackupRepositoryConfig, RetentionConfig } from '../../config/backups.js';

/** The tag every snapshot of a job carries, so the job finds its own. */
export const jobTag = (job: string) => `hotstandby-job:${job}`;

/** What a run needs to know of its job (no secrets: the worker reads the password files). */
export interface JobSpec {
  name: string;
  paths: string[];
  excludes: string[];
  /** A command whose stdout is the backup (started by the worker), and the file's name. */
  stdin?: { filename: string; command: string[]; runAs?: { uid: number; gid: number } };
  repositories: BackupRepositoryConfig[];
  tags: string[];
  retention?: RetentionConfig;
  /** Remove locks of this host (the peer VRRP says is gone) before taking ours. */
  clearLocksOf?: string;
}

export interface SnapshotRef {
  repo: string;
  snapshot: string;
}

export type WorkerRequest =
  | { op: 'run'; id: number; job: JobSpec; repoIndex: number }
  | { op: 'verify'; id: number; job: JobSpec; readDataSubset: string; sampleFiles: number }
  | { op: 'latest'; id: number; repositories: BackupRepositoryConfig[]; tag: string }
  | { op: 'snapshots'; id: number; repository: BackupRepositoryConfig; tag?: string }
  | { op: 'tree'; id: number; repository: BackupRepositoryConfig; snapshot: string; path: string }
  | { op: 'restore'; id: number; repository: BackupRepositoryConfig; snapshot: string; path: string; target: string }
  | { op: 'download'; id: number; repository: BackupRepositoryConfig; snapshot: string; path: string }
  /** Removes the locks a killed worker process (this host, that pid) left in the repositories. */
  | { op: 'release-locks'; id: number; repositories: BackupRepositoryConfig[]; pid: number };

/** Sent by the daemon: the download's consumer took the last chunk; send more. */
export interface ChunkAck {
  op: 'ack';
  id: number;
}

export interface Progress {
  /** Bytes processed so far (read from the sources, or written by a restore). */
  bytes: number;
  /** The expected total when known (a scan of the paths, the size of what is restored). */
  total?: number;
  files?: number;
  phase: string;
}


export type WorkerMessage =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: string; name: string };

export interface RunResult {
  repo: string;
  snapshot: string;
  /** The snapshot's time (epoch ms). */
  time: number;
  filesNew: number;
  filesUnchanged: number;
  bytesRead: number;
  bytesAdded: number;
  retention: string;
  peerLocksRemoved: number;
  /**
   * Entries that could not be read and are not in the snapshot (archiver.ts, restic's exit code
   * 3): how many, and the first UNREADABLE_LISTED of them ("PATH: error").
   */
  unreadable?: { count: number; entries: string[] };
}

/** Unreadable entries a run result names (a tree of thousands would flood the event log). */
export const UNREADABLE_LISTED = 10;

export interface VerifyResult {
  repo: string;
  snapshot: string | null;
  sampled: number;
  compared: number;
  /** Sampled files that changed on disk since the snapshot (not comparable). */
  changedSince: number;
  mismatches: string[];
  check: string;
}

export interface SnapshotInfo {
  id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
}

export interface TreeEntry {
  name: string;
  path: string;
  type: string;
  size?: number;
  mtime: string;
  mode: number;
}
