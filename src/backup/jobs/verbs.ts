/**
 * The repository operations a job needs that other branches add, in one place so that wiring
 * them after the merge is a few lines here and nothing else:
 *
 * - `forget` (retention) and `check --read-data-subset` come with the backup verbs (hs-bkverbs);
 * - `--exclude` on a backup run comes with them too;
 * - `sftp:` and `s3:` repositories come with the remote backends (hs-bkremote).
 *
 * Until then a job says plainly what it skipped ("retention not applied: forget is not in this
 * build") in its result, event and status, and check-config refuses a job whose repository or
 * excludes cannot be honoured. Nothing is silently ignored.
 */
import { LocalBackend } from '../backend/local.js';
import type { Backend } from '../repo/backend.js';
import type { Repository } from '../repo/repository.js';
import type { RetentionConfig } from '../../config/backups.js';

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

/** What this build has. hs-bkverbs / hs-bkremote: fill in forget, check, excludes and backend here. */
export const JOB_VERBS: JobVerbs = {
  excludes: false,
  backend: backendForLocation,
};
