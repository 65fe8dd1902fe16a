/**
 * Backup jobs in the configuration (YAML `backups:`, fields/backup.ts): the draft the YAML reader
 * fills, the model the daemon consumes, and the resolution between them (defaults, ranges, cron
 * expressions parsed, the instance or sync group a job follows looked up), with errors naming the
 * key. What needs the host (a repository reachable, a password file readable) is checked by
 * `check-config` (src/backup/jobs/preflight.ts), not here.
 */
import { resolve } from 'node:path';
import { parseCron } from '../backup/jobs/cron.js';
import { ConfigError } from './config-error.js';
import { keyOf, type Located } from './draft.js';
import { BACKUP_JOB_FIELDS, BACKUP_RETENTION_FIELDS, BACKUP_VERIFY_FIELDS, BACKUPS_FIELDS } from './fields/backup.js';
import type { DraftOf } from './fields/field.js';
import type { InstanceConfig, SourceLocation, SyncGroupConfig } from './model.js';
import { fieldValue, optionalFieldValue } from './resolve-field.js';
import { checkAbsolutePath } from './validate-values.js';
import { parseLocation } from '../backup/backend/from-location.js';
import { isUnder } from '../backup/backend/mount-check.js';
import { splitCommandLine } from '../backup/backend/sftp.js';
import { parseMaxUnused, parseSize } from '../backup/verbs/prune-limits.js';

export interface BackupRepositoryDraft {
  repo?: Located<string>;
  passwordFile?: Located<string>;
  sftpCommand?: Located<string>;
  requireMount?: Located<string>;
  source: SourceLocation;
  path: string;
}

export interface BackupJobDraft extends DraftOf<typeof BACKUP_JOB_FIELDS> {
  name: string;
  source: SourceLocation;
  path: string;
  paths?: Located<string>[];
  excludes?: Located<string>[];
  tags?: Located<string>[];
  repositories?: BackupRepositoryDraft[];
  retention?: DraftOf<typeof BACKUP_RETENTION_FIELDS>;
  verify?: DraftOf<typeof BACKUP_VERIFY_FIELDS>;
}

export interface BackupsDraft extends DraftOf<typeof BACKUPS_FIELDS> {
  jobs: BackupJobDraft[];
  source: SourceLocation;
}

export interface BackupRepositoryConfig {
  /** As written: a path, `local:PATH`, `sftp:…`, `s3:…`. */
  repo: string;
  passwordFile: string;
  /** restic's `-o sftp.command=…` for an `sftp:` repository: the command line that runs the SFTP subsystem. */
  sftpCommand?: string;
  /**
   * A local repository must be on the filesystem mounted at this directory (the CLI's
   * `--require-mount`): a removable disk no fstab line names is refused while unplugged.
   */
  requireMount?: string;
}

export interface RetentionConfig {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  prune: boolean;
  /** restic's prune options, only with prune (absent: restic's defaults). */
  maxUnused?: string;
  /** In bytes. */
  maxRepackSize?: number;
  repackCacheableOnly?: true;
  repackSmall?: true;
  repackUncompressed?: true;
}

export interface BackupVerifyConfig {
  schedule: string;
  readDataSubset: string;
  sampleFiles: number;
}

export interface BackupJobConfig {
  name: string;
  /** What it follows: an instance or a sync group, by name. */
  follows: { kind: 'instance' | 'syncGroup'; name: string };
  role: 'master' | 'backup';
  paths: string[];
  excludes: string[];
  command?: string;
  commandUser?: string;
  stdinFilename: string;
  repositories: BackupRepositoryConfig[];
  schedule: string;
  timezone: 'local' | 'utc';
  missedAfterMs: number;
  retryMs: number;
  tags: string[];
  retention?: RetentionConfig;
  verify?: BackupVerifyConfig;
  source: SourceLocation;
}

export interface BackupsConfig {
  peerHostname?: string;
  jobs: BackupJobConfig[];
}

const KEEPS = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

function checkCron(field: Located<string>, key: string): string {
  try {
    parseCron(field.value);
  } catch (err) {
    throw new ConfigError((err as Error).message, field.source, keyOf(field, key));
  }
  return field.value;
}

/** restic's --read-data-subset forms: n/t, N% (0 < N <= 100, decimals allowed), or a size with K/M/G/T. */
const SUBSET = /^(?:\d+\/\d+|\d+(?:\.\d+)?%|\d+[KMGT]?)$/i;

function resolveRetention(draft: DraftOf<typeof BACKUP_RETENTION_FIELDS>, prefix: string, source: SourceLocation): RetentionConfig {
  const r: RetentionConfig = { prune: fieldValue(BACKUP_RETENTION_FIELDS, 'prune', draft, prefix) };
  for (const k of KEEPS) {
    const v = optionalFieldValue(BACKUP_RETENTION_FIELDS, k, draft, prefix);
    if (v !== undefined) r[k] = v;
  }
  if (KEEPS.every((k) => r[k] === undefined)) throw new ConfigError('A retention keeps nothing: set at least one of keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly', source, prefix.slice(0, -1));
  // The prune's options (restic prune's; src/backup/verbs/prune-limits.ts): checked here, and only with prune.
  const set = PRUNE_KEYS.filter((k) => draft[k] !== undefined && draft[k]!.value !== false);
  if (set.length > 0 && !r.prune) {
    const f = draft[set[0]!]!;
    throw new ConfigError(`${set[0]} is an option of the prune: set prune: true too`, f.source, keyOf(f, `${prefix}${set[0]}`));
  }
  const maxUnused = draft.maxUnused;
  if (maxUnused !== undefined) {
    try {
      parseMaxUnused(maxUnused.value);
    } catch (err) {
      throw new ConfigError((err as Error).message, maxUnused.source, keyOf(maxUnused, `${prefix}maxUnused`));
    }
    r.maxUnused = maxUnused.value;
  }
  const repackSize = draft.maxRepackSize;
  if (repackSize !== undefined) {
    try {
      r.maxRepackSize = parseSize(repackSize.value, 'maxRepackSize');
    } catch (err) {
      throw new ConfigError((err as Error).message, repackSize.source, keyOf(repackSize, `${prefix}maxRepackSize`));
    }
  }
  for (const k of ['repackCacheableOnly', 'repackSmall', 'repackUncompressed'] as const) if (fieldValue(BACKUP_RETENTION_FIELDS, k, draft, prefix)) r[k] = true;
  return r;
}

const PRUNE_KEYS = ['maxUnused', 'maxRepackSize', 'repackCacheableOnly', 'repackSmall', 'repackUncompressed'] as const;

function resolveVerify(draft: DraftOf<typeof BACKUP_VERIFY_FIELDS>, prefix: string, source: SourceLocation): BackupVerifyConfig {
  if (draft.schedule === undefined) throw new ConfigError('Verification needs a schedule (a cron expression)', source, `${prefix}schedule`);
  const subset = draft.readDataSubset;
  if (subset !== undefined && !SUBSET.test(subset.value)) {
    throw new ConfigError(`readDataSubset "${subset.value}" is not n/t, N% or a size such as 500M`, subset.source, keyOf(subset, `${prefix}readDataSubset`));
  }
  return {
    schedule: checkCron(draft.schedule, `${prefix}schedule`),
    readDataSubset: fieldValue(BACKUP_VERIFY_FIELDS, 'readDataSubset', draft, prefix),
    sampleFiles: fieldValue(BACKUP_VERIFY_FIELDS, 'sampleFiles', draft, prefix),
  };
}

/**
 * A repository's `requireMount`: an absolute directory, for a local repository at or below it
 * (what requiredMountReason checks at run time, caught here where it can be).
 */
function checkRequireMount(repo: Located<string>, field: Located<string>, path: string): string {
  const key = keyOf(field, `${path}.requireMount`);
  const mountPoint = checkAbsolutePath(field, key, 'requireMount');
  let location: ReturnType<typeof parseLocation>;
  try {
    location = parseLocation(repo.value);
  } catch {
    return mountPoint; // the repo's own error is reported where it is opened (check-config, the run)
  }
  if (location.kind !== 'local') throw new ConfigError(`requireMount is for local repositories (a disk); ${repo.value} is not one`, field.source, key);
  const mp = resolve(mountPoint);
  const abs = resolve(location.path);
  if (!isUnder(abs, mp)) {
    throw new ConfigError(`requireMount "${mountPoint}": the repository ${repo.value} is not below it`, field.source, key);
  }
  return mountPoint;
}

function resolveFollows(d: BackupJobDraft, instances: readonly InstanceConfig[], groups: readonly SyncGroupConfig[]): BackupJobConfig['follows'] {
  if (d.instance && d.syncGroup) throw new ConfigError('A job follows an instance or a sync group, not both', d.syncGroup.source, keyOf(d.syncGroup, `${d.path}.syncGroup`));
  if (d.syncGroup) {
    if (!groups.some((g) => g.name === d.syncGroup!.value)) throw new ConfigError(`No sync group named "${d.syncGroup.value}"`, d.syncGroup.source, keyOf(d.syncGroup, `${d.path}.syncGroup`));
    return { kind: 'syncGroup', name: d.syncGroup.value };
  }
  if (d.instance) {
    if (!instances.some((i) => i.name === d.instance!.value)) throw new ConfigError(`No instance named "${d.instance.value}"`, d.instance.source, keyOf(d.instance, `${d.path}.instance`));
    return { kind: 'instance', name: d.instance.value };
  }
  if (instances.length === 1) return { kind: 'instance', name: instances[0]!.name };
  throw new ConfigError(`Job "${d.name}" must say which instance (or syncGroup) it follows: there are ${instances.length} instances`, d.source, `${d.path}.instance`);
}

function resolveJob(d: BackupJobDraft, instances: readonly InstanceConfig[], groups: readonly SyncGroupConfig[]): BackupJobConfig {
  const p = `${d.path}.`;
  const paths = (d.paths ?? []).map((f) => checkAbsolutePath(f, `${p}paths`, 'Backup path'));
  const command = d.command?.value;
  if (paths.length === 0 && command === undefined) throw new ConfigError(`Job "${d.name}" backs up nothing: give paths or a command`, d.source, `${p}paths`);
  if (paths.length > 0 && command !== undefined) throw new ConfigError(`Job "${d.name}" has both paths and a command: one snapshot holds one or the other (make two jobs)`, d.command!.source, keyOf(d.command, `${p}command`));
  if (d.stdinFilename && command === undefined) throw new ConfigError('stdinFilename names the output of a command: set command too', d.stdinFilename.source, keyOf(d.stdinFilename, `${p}stdinFilename`));
  if (d.stdinFilename && (d.stdinFilename.value.includes('/') || d.stdinFilename.value === '.' || d.stdinFilename.value === '..')) {
    throw new ConfigError(`stdinFilename "${d.stdinFilename.value}" must be a file name without "/"`, d.stdinFilename.source, keyOf(d.stdinFilename, `${p}stdinFilename`));
  }
  const repositories = (d.repositories ?? []).map((r): BackupRepositoryConfig => {
    if (r.repo === undefined) throw new ConfigError('A repository needs "repo"', r.source, `${r.path}.repo`);
    if (r.passwordFile === undefined) throw new ConfigError('A repository needs "passwordFile" (the password is never written in the configuration)', r.source, `${r.path}.passwordFile`);
    const out: BackupRepositoryConfig = { repo: r.repo.value, passwordFile: checkAbsolutePath(r.passwordFile, `${r.path}.passwordFile`, 'Password file') };
    if (r.sftpCommand !== undefined) {
      if (!r.repo.value.startsWith('sftp:')) throw new ConfigError(`sftpCommand is for sftp: repositories; ${r.repo.value} is not one`, r.sftpCommand.source, `${r.path}.sftpCommand`);
      try {
        if (splitCommandLine(r.sftpCommand.value).length === 0) throw new SyntaxError('it is empty');
      } catch (err) {
        throw new ConfigError(`sftpCommand "${r.sftpCommand.value}": ${(err as Error).message}`, r.sftpCommand.source, `${r.path}.sftpCommand`);
      }
      out.sftpCommand = r.sftpCommand.value;
    }
    if (r.requireMount !== undefined) out.requireMount = checkRequireMount(r.repo, r.requireMount, r.path);
    return out;
  });
  if (repositories.length === 0) throw new ConfigError(`Job "${d.name}" has no repositories`, d.source, `${p}repositories`);
  if (d.schedule === undefined) throw new ConfigError(`Job "${d.name}" needs a schedule (a cron expression such as "0 2 * * *")`, d.source, `${p}schedule`);
  const job: BackupJobConfig = {
    name: d.name,
    follows: resolveFollows(d, instances, groups),
    role: fieldValue(BACKUP_JOB_FIELDS, 'role', d, p),
    paths,
    excludes: (d.excludes ?? []).map((e) => e.value),
    stdinFilename: d.stdinFilename?.value ?? `${d.name}.out`,
    repositories,
    schedule: checkCron(d.schedule, `${p}schedule`),
    timezone: fieldValue(BACKUP_JOB_FIELDS, 'timezone', d, p),
    missedAfterMs: fieldValue(BACKUP_JOB_FIELDS, 'missedAfterMs', d, p),
    retryMs: fieldValue(BACKUP_JOB_FIELDS, 'retryMs', d, p),
    tags: (d.tags ?? []).map((t) => t.value),
    source: d.source,
  };
  if (command !== undefined) job.command = command;
  if (d.commandUser) job.commandUser = d.commandUser.value;
  if (d.retention) job.retention = resolveRetention(d.retention, `${p}retention.`, d.source);
  if (d.verify) job.verify = resolveVerify(d.verify, `${p}verify.`, d.source);
  return job;
}

export function resolveBackups(draft: BackupsDraft, instances: readonly InstanceConfig[], groups: readonly SyncGroupConfig[]): BackupsConfig {
  const seen = new Set<string>();
  for (const j of draft.jobs) {
    if (seen.has(j.name)) throw new ConfigError(`Backup job "${j.name}" is defined twice`, j.source, j.path);
    seen.add(j.name);
  }
  const config: BackupsConfig = { jobs: draft.jobs.map((j) => resolveJob(j, instances, groups)) };
  const peer = optionalFieldValue(BACKUPS_FIELDS, 'peerHostname', draft, 'backups.');
  if (peer !== undefined) config.peerHostname = peer;
  return config;
}
