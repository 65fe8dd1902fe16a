/**
 * The repository operations a job needs from the backup verbs (src/backup/verbs/), in one place:
 * retention is `forget` (+ `prune`), verification's structural part is `check
 * --read-data-subset`, a run honours exclude patterns, and `backend` opens local, `sftp:` and `s3:`
 * repositories. Nothing is silently ignored: a build without one of these (an optional field left
 * out) says in the job's result what it skipped.
 */
import { backendFromLocation } from '../backend/from-location.js';
import type { Backend } from '../repo/backend.js';
import type { Repository } from '../repo/repository.js';
import type { BackupRepositoryConfig, RetentionConfig } from '../../config/backups.js';
import { loadSnapshots } from '../snapshots.js';
import { check, parseSubset } from '../verbs/check.js';
import { planForget, removeSnapshots } from '../verbs/forget.js';
import { prune, type PruneOptions } from '../verbs/prune.js';

export interface ForgetResult {
  removed: number;
  kept: number;
  /** What the prune did, when it ran (retention.prune and something was forgotten). */
  pruned?: { packsDeleted: number; packsRepacked: number; blobsCompressed: number };
}

export interface CheckResult {
  /** Problems found (empty: clean), each naming the damaged pack, snapshot or file. */
  errors: string[];
}

export interface JobVerbs {
  /** restic forget on the snapshots carrying `tag`, grouped by host and paths, with --prune when asked. */
  forget?: (repo: Repository, retention: RetentionConfig, tag: string) => Promise<ForgetResult>;
  /** restic check with --read-data-subset. */
  check?: (repo: Repository, readDataSubset: string) => Promise<CheckResult>;
  /** Whether backup runs honour exclude patterns. */
  excludes: boolean;
  /** The backend of a repository as the configuration gives it; throws naming what is not supported. */
  backend(repository: RepositoryAccess): Backend;
}

/** What opening a repository needs of its configuration (not the password). */
export type RepositoryAccess = Pick<BackupRepositoryConfig, 'repo' | 'sftpCommand' | 'requireMount'>;

/**
 * A local path (`local:PATH`), `sftp:…` or `s3:…`, as restic writes them (from-location.ts), with
 * restic's environment variables from the daemon's environment (AWS_ACCESS_KEY_ID, RESTIC_CACERT…;
 * the worker processes inherit it): SFTP runs the repository's `sftpCommand` (restic's
 * `-o sftp.command`), by default `ssh [-p port] [-l user] host -s sftp` as the daemon's user; a
 * local repository with `requireMount` is refused while nothing is mounted there (the CLI's
 * `--require-mount`, checked by LocalBackend on open and create).
 */
function backendForRepository(r: RepositoryAccess): Backend {
  return backendFromLocation(r.repo, process.env, {
    ...(r.sftpCommand !== undefined ? { sftpCommand: r.sftpCommand } : {}),
    ...(r.requireMount !== undefined ? { requireMount: r.requireMount } : {}),
  });
}

/**
 * restic forget on the job's snapshots (its tag), as one series whatever node took them (grouped
 * by paths only: the job moves between the nodes of the pair), then prune when asked.
 */
/** The retention's prune options (config/backups.ts checked them), as prune takes them. */
export function pruneOptions(r: RetentionConfig): PruneOptions {
  const o: PruneOptions = {};
  if (r.maxUnused !== undefined) o.maxUnused = r.maxUnused;
  if (r.maxRepackSize !== undefined) o.maxRepackSize = r.maxRepackSize;
  if (r.repackCacheableOnly) o.repackCacheableOnly = true;
  if (r.repackSmall) o.repackSmall = true;
  if (r.repackUncompressed) o.repackUncompressed = true;
  return o;
}

async function forgetJob(repo: Repository, r: RetentionConfig, tag: string): Promise<ForgetResult> {
  const mine = (await loadSnapshots(repo)).filter((e) => e.snapshot.tags?.includes(tag));
  const policy = { last: r.keepLast, hourly: r.keepHourly, daily: r.keepDaily, weekly: r.keepWeekly, monthly: r.keepMonthly, yearly: r.keepYearly };
  const groups = planForget(mine, policy, ['paths']);
  const removed = await removeSnapshots(repo, groups.flatMap((g) => g.decision.remove));
  const out: ForgetResult = { removed: removed.length, kept: groups.reduce((n, g) => n + g.decision.keep.length, 0) };
  if (r.prune && removed.length > 0) {
    const p = await prune(repo, pruneOptions(r));
    out.pruned = { packsDeleted: p.packsDeleted + p.packsUnreferenced, packsRepacked: p.packsRepacked, blobsCompressed: p.blobsCompressed };
  }
  return out;
}

async function checkSubset(repo: Repository, readDataSubset: string): Promise<CheckResult> {
  // 0 %: the structure only (restic's check without --read-data).
  const r = await check(repo, /^0+(?:\.0+)?%$/.test(readDataSubset) ? {} : { readData: true, subset: parseSubset(readDataSubset) });
  return { errors: [...r.errors, ...r.affected.map((a) => `snapshot ${a.snapshot.slice(0, 8)}: damaged ${a.paths.join(', ')}`)] };
}

/** What this build has. */
export const JOB_VERBS: JobVerbs = {
  forget: forgetJob,
  check: checkSubset,
  excludes: true,
  backend: backendForRepository,
};
