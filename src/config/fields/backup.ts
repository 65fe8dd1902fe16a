/**
 * Backup jobs (YAML `backups.jobs.<name>`; keepalived.conf has no equivalent). What is backed up
 * (paths, or a command's stdout such as a database dump), where (repositories in restic's
 * format), when (a cron expression), which role runs it, retention and verification. Resolved in
 * ../backups.ts; run by src/backup/jobs/.
 */
import type { FieldSpec } from './field.js';

/** `backups:` itself. */
export const BACKUPS_FIELDS = [
  {
    name: 'peerHostname',
    yaml: 'peerHostname',
    type: { kind: 'string' },
    defaultDoc: 'none',
    doc: "the peer's host name as its repository locks name it: once VRRP says the peer is gone (this node took over at the master-down timer), its locks are removed before a job runs; no other host's lock is ever touched",
  },
  {
    name: 'jobs',
    yaml: 'jobs',
    type: { kind: 'custom', text: 'mapping of job names to jobs (below)' },
    defaultDoc: 'none',
    doc: 'the jobs',
  },
] as const satisfies readonly FieldSpec[];

export const BACKUP_RETENTION_FIELDS = [
  { name: 'keepLast', yaml: 'keepLast', type: { kind: 'integer', min: 1, max: 1_000_000 }, label: 'keepLast', doc: 'the latest N snapshots (restic forget --keep-last)' },
  { name: 'keepHourly', yaml: 'keepHourly', type: { kind: 'integer', min: 1, max: 1_000_000 }, label: 'keepHourly', doc: 'the latest snapshot of each of the last N hours' },
  { name: 'keepDaily', yaml: 'keepDaily', type: { kind: 'integer', min: 1, max: 1_000_000 }, label: 'keepDaily', doc: 'the latest snapshot of each of the last N days' },
  { name: 'keepWeekly', yaml: 'keepWeekly', type: { kind: 'integer', min: 1, max: 1_000_000 }, label: 'keepWeekly', doc: 'the latest snapshot of each of the last N weeks' },
  { name: 'keepMonthly', yaml: 'keepMonthly', type: { kind: 'integer', min: 1, max: 1_000_000 }, label: 'keepMonthly', doc: 'the latest snapshot of each of the last N months' },
  { name: 'keepYearly', yaml: 'keepYearly', type: { kind: 'integer', min: 1, max: 1_000_000 }, label: 'keepYearly', doc: 'the latest snapshot of each of the last N years' },
  { name: 'prune', yaml: 'prune', type: { kind: 'boolean' }, default: false, doc: 'also remove the data no snapshot uses any more (restic forget --prune)' },
  { name: 'maxUnused', yaml: 'maxUnused', type: { kind: 'text' }, default: '5%', doc: "with prune: the unused data tolerated after it (restic prune --max-unused): `5%`, a size such as `100M`, `0` or `unlimited`" },
  { name: 'maxRepackSize', yaml: 'maxRepackSize', type: { kind: 'text' }, defaultDoc: 'no limit', doc: 'with prune: at most this much repacked per prune, a size such as `500M` (restic prune --max-repack-size)' },
  { name: 'repackCacheableOnly', yaml: 'repackCacheableOnly', type: { kind: 'boolean' }, default: false, doc: 'with prune: repack only tree (and mixed) packs, never data packs (restic prune --repack-cacheable-only)' },
  { name: 'repackSmall', yaml: 'repackSmall', type: { kind: 'boolean' }, default: false, doc: 'with prune: fully used packs below 80 % of the pack size are repacked when there are ten or more (restic prune --repack-small)' },
  { name: 'repackUncompressed', yaml: 'repackUncompressed', type: { kind: 'boolean' }, default: false, doc: 'with prune: repack every pack holding uncompressed data, compressing it (restic prune --repack-uncompressed)' },
] as const satisfies readonly FieldSpec[];

export const BACKUP_VERIFY_FIELDS = [
  { name: 'schedule', yaml: 'schedule', type: { kind: 'string' }, defaultDoc: 'required', doc: 'when to verify (cron expression)' },
  {
    name: 'readDataSubset',
    yaml: 'readDataSubset',
    type: { kind: 'string' },
    default: '5%',
    doc: "restic check --read-data-subset: `N%`, `n/t` or a size such as `500M`; `0%` checks the structure only",
  },
  {
    name: 'sampleFiles',
    yaml: 'sampleFiles',
    type: { kind: 'integer', min: 0, max: 100_000 },
    label: 'sampleFiles',
    default: 20,
    doc: 'files of the latest snapshot restored in memory and compared with the live files (those unchanged since the snapshot)',
  },
] as const satisfies readonly FieldSpec[];

export const BACKUP_JOB_FIELDS = [
  {
    name: 'instance',
    yaml: 'instance',
    type: { kind: 'string' },
    defaultDoc: 'the only instance',
    doc: 'the VRRP instance whose role the job follows (or `syncGroup`)',
  },
  { name: 'syncGroup', yaml: 'syncGroup', type: { kind: 'string' }, defaultDoc: 'none', doc: 'the sync group whose role the job follows, instead of an instance' },
  {
    name: 'role',
    yaml: 'role',
    type: { kind: 'enum', values: ['master', 'backup'] },
    default: 'master',
    doc: 'the node that runs the job: the master, or the backup (takes the load off the master by backing up the replica)',
  },
  { name: 'paths', yaml: 'paths', type: { kind: 'custom', text: 'list of absolute paths' }, defaultDoc: 'none', doc: 'files and directories to back up (or `command`)' },
  { name: 'excludes', yaml: 'excludes', type: { kind: 'custom', text: 'list of patterns' }, defaultDoc: 'none', doc: "restic's --exclude patterns" },
  {
    name: 'command',
    yaml: 'command',
    type: { kind: 'string' },
    defaultDoc: 'none',
    doc: "a command whose stdout is the backup (a database dump, `pg_basebackup -D - -Ft -X fetch`), stored as one file; the run fails, and no snapshot is written, when it exits other than 0",
  },
  { name: 'commandUser', yaml: 'commandUser', type: { kind: 'string' }, defaultDoc: 'root', doc: 'the user the command runs as (`postgres`)' },
  { name: 'stdinFilename', yaml: 'stdinFilename', type: { kind: 'string' }, defaultDoc: '`<job>.out`', doc: "the command's output's name in the snapshot (restic --stdin-filename)" },
  {
    name: 'repositories',
    yaml: 'repositories',
    type: { kind: 'custom', text: 'list of `{repo, passwordFile, sftpCommand, requireMount}`' },
    defaultDoc: 'required',
    doc: "where the snapshots go, each in turn (a local path, a removable disk, `sftp:`, `s3:`); the run succeeds when every one has the snapshot. `sftpCommand` (sftp: only) is restic's `-o sftp.command`: the command that runs the SFTP subsystem (default `ssh [-p port] [-l user] host -s sftp`). `requireMount` (a local path only) is the CLI's `--require-mount`: the directory a removable disk is mounted on; the run fails, writing nothing, while nothing is mounted there (for a disk no /etc/fstab line names, e.g. mounted under /media). S3 keys come from the daemon's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, RESTIC_CACERT)",
  },
  { name: 'schedule', yaml: 'schedule', type: { kind: 'string' }, defaultDoc: 'required', doc: 'when the job is due: a cron expression (`0 2 * * *`, `@daily`)' },
  { name: 'timezone', yaml: 'timezone', type: { kind: 'enum', values: ['local', 'utc'] }, default: 'local', doc: 'the zone the schedules are read in' },
  {
    name: 'missedAfterMs',
    yaml: 'missedAfter',
    type: { kind: 'duration', minMs: 60_000, maxMs: 31 * 86_400_000 },
    label: 'missedAfter',
    default: 3_600_000,
    doc: 'a due time without a successful snapshot this much later raises the missed-backup alarm',
  },
  {
    name: 'retryMs',
    yaml: 'retry',
    type: { kind: 'duration', minMs: 10_000, maxMs: 31 * 86_400_000 },
    label: 'retry',
    default: 900_000,
    doc: 'a failed run is tried again after this long, until the next due time',
  },
  { name: 'tags', yaml: 'tags', type: { kind: 'custom', text: 'list of strings' }, defaultDoc: 'none', doc: 'more tags on each snapshot (every snapshot also gets `hotstandby-job:<job>`)' },
  { name: 'retention', yaml: 'retention', type: { kind: 'custom', text: 'mapping' }, defaultDoc: 'none', doc: 'forget after each successful run: at least one `keep*`', section: BACKUP_RETENTION_FIELDS },
  { name: 'verify', yaml: 'verify', type: { kind: 'custom', text: 'mapping' }, defaultDoc: 'none', doc: 'verification on a schedule', section: BACKUP_VERIFY_FIELDS },
] as const satisfies readonly FieldSpec[];
