/**
 * The repository operations a job needs from the backup verbs (src/backup/verbs/), in one place:
 * retention is `forget` (+ `prune`), verification's structural part is `check
 * --read-data-subset`, a run honours exclude patterns. `sftp:` and `s3:` repositories come with
 * the remote backends (hs-bkremote): `backend` is where they plug in; until then check-config
 * refuses them by key and a run fails saying so. Nothing is silently ignored: a build without one
 * of these (an optional field left out) says in the job's result what it skipped.
 */
import { LocalBackend } from '../backend/local.js';
import type { Backend } from '../repo/backend.js';
import type { Repository } from '../repo/repository.js';
import type { RetentionConfig } from '../../config/backups.js';
import { loadSnapshots } from '../snapshots.js';
import { check, parseSubset } from '../verbs/check.js';
import { planForget, removeSnapshots } from '../verbs/forget.js';
import { prune } from '../verbs/prune.js';

export interface ForgetResult {
  removed: number;
  kept: number;
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
  /** The backend of a repository location as written in the configuration; throws naming what is not supported. */
  backend(location: string): Backend;
}

/** `local:PATH` or a plain path; other schemes wait for hs-bkremote. */
function backendForLocation(location: string): Backend {
  if (location.startsWith('local:')) return new LocalBackend(location.slice('local:'.length));
  const scheme = /^([a-z][a-z0-9+]*):/.exec(location)?.[1];
  if (scheme !== undefined) throw new RangeError(`Repository '${location}': ${scheme}: repositories are not in this build (local paths only)`);
  return new LocalBackend(location);
}

/**
 * restic forget on the job's snapshots (its tag), as one series whatever node took them (grouped
 * by paths only: the job moves between the nodes of the pair), then prune when asked.
 */
async function forgetJob(repo: Repository, r: RetentionConfig, tag: string): Promise<ForgetResult> {
  const mine = (await loadSnapshots(repo)).filter((e) => e.snapshot.tags?.includes(tag));
  const policy = { last: r.keepLast, hourly: r.keepHourly, daily: r.keepDaily, weekly: r.keepWeekly, monthly: r.keepMonthly, yearly: r.keepYearly };
  const groups = planForget(mine, policy, ['paths']);
  const removed = await removeSnapshots(repo, groups.flatMap((g) => g.decision.remove));
  if (r.prune && removed.length > 0) await prune(repo);
  return { removed: removed.length, kept: groups.reduce((n, g) => n + g.decision.keep.length, 0) };
}

async function checkSubset(repo: Repository, readDataSubset: string): Promise<CheckResult> {
  // 0 %: the structure only (restic's check without --read-data).
  const r = await check(repo, /^0+(?:\.0+)?%$/.test(readDataSubset) ? {} : { readData: true, subset: parseSubset(readDataSubset) });
  return { errors: [...r.errors, ...r.affected.map((a) => `snapshot ${a.snapshot.slice(0, 8)}: damaged ${a.paths.join(', ')}`)] };
}

/** What this build has. hs-bkremote: sftp: and s3: in `backend`. */
export const JOB_VERBS: JobVerbs = {
  forget: forgetJob,
  check: checkSubset,
  excludes: true,
  backend: backendForLocation,
};
