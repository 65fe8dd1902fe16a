/**
 * The options `backup run` and `backup restore` gained beyond paths and --target: --exclude,
 * --stdin / --stdin-filename and the progress bar for run; --include / --exclude and the progress
 * bar for restore. Kept here so that src/cli/backup.ts only dispatches.
 */
import { backup, restore, walkTree, type BackupResult, type Repository, type RestoreStats } from '../../backup/index.js';
import { newBackupStats } from '../../backup/archiver.js';
import { childMayMatch, excludedBy, matchPattern, parsePattern } from '../../backup/verbs/pattern.js';
import { scanTotals, type ScanTotals } from '../../backup/verbs/scan.js';
import { backupStdin } from '../../backup/verbs/stdin.js';
import type { Id } from '../../backup/repo/id.js';
import type { OptionsConfig } from '../parse-command.js';
import { SELECT_OPTIONS, selection, UsageError } from './context.js';
import { selectSnapshots } from '../../backup/verbs/select.js';
import type { SnapshotEntry } from '../../backup/snapshots.js';
import { progressPeriodMs, startProgress } from './progress.js';

export const RUN_OPTIONS = {
  exclude: { type: 'string', short: 'e', multiple: true },
  stdin: { type: 'boolean', default: false },
  'stdin-filename': { type: 'string', default: 'stdin' },
} as const satisfies OptionsConfig;

export const RESTORE_OPTIONS = {
  include: { type: 'string', short: 'i', multiple: true },
  exclude: { type: 'string', short: 'e', multiple: true },
  ...SELECT_OPTIONS,
} as const satisfies OptionsConfig;

export const RUN_HELP = `                                [--exclude PATTERN]… [--stdin [--stdin-filename NAME]]`;
export const RESTORE_HELP = `                                [--include PATTERN]… [--exclude PATTERN]… (single files or subtrees)
                                [--host H] [--tag T] [--path P] (which snapshot latest is)`;

const list = (v: unknown) => (v as string[] | undefined) ?? [];

/** `run`: paths, or standard input with --stdin; a progress bar on a terminal. */
export async function runBackup(repo: Repository, values: Record<string, unknown>, paths: string[]): Promise<BackupResult> {
  const tags = list(values.tag);
  const host = values.host as string | undefined;
  const parent = values.parent as string | undefined;
  const excludes = list(values.exclude);
  const stats = newBackupStats();
  const progress = startProgress(process.stderr, 'bytes');
  let totals: ScanTotals | undefined;
  const poll = setInterval(() => progress.update(stats.bytesRead, totals?.bytes, `${stats.files}${totals ? '/' + totals.files : ''} files`), progressPeriodMs());
  poll.unref();
  try {
    if (values.stdin) {
      if (paths.length) throw new UsageError('--stdin takes no paths');
      return await backupStdin(repo, { filename: values['stdin-filename'] as string, tags, ...(host ? { hostname: host } : {}), programVersion: 'hotstandby 0.1.0', stats });
    }
    if (!paths.length) throw new UsageError('run needs at least one path (or --stdin)');
    if (process.stderr.isTTY) void scanTotals(paths, excludes).then((t) => (totals = t), () => undefined);
    const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
    // As restic prints them: "error: open /x: permission denied"; the backup goes on.
    const readError = (err: Error) => process.stderr.write(`error: ${err.message}\n`);
    return await backup(repo, { paths, tags, excludes, stats, warn, readError, ...(host ? { hostname: host } : {}), ...(parent ? { parent: parent as Id } : {}), programVersion: 'hotstandby 0.1.0' });
  } finally {
    clearInterval(poll);
    progress.update(stats.bytesRead, totals?.bytes, `${stats.files} files`);
    progress.stop();
  }
}

/** `restore`: the whole snapshot, or what --include selects minus what --exclude removes. */
export async function runRestore(repo: Repository, values: Record<string, unknown>, tree: Id, target: string): Promise<RestoreStats> {
  const includes = list(values.include).map(parsePattern);
  const excludes = list(values.exclude).map(parsePattern);
  const select =
    includes.length || excludes.length
      ? (path: string) => {
          if (excludes.length && excludedBy(excludes, path)) return { restore: false, descend: false };
          if (!includes.length) return { restore: true, descend: true };
          const restore = includes.some((p) => matchPattern(p, path));
          return { restore, descend: restore || includes.some((p) => childMayMatch(p, path)) };
        }
      : undefined;
  const stats: RestoreStats = { files: 0, dirs: 0, symlinks: 0, skipped: 0, bytesWritten: 0 };
  const progress = startProgress(process.stderr, 'bytes');
  // On a terminal, the size of a whole-snapshot restore is summed beside it, for the time left
  // (once the index is loaded: the walk reads tree blobs through it).
  let total: number | undefined;
  const sumTotal = () =>
    void (async () => {
      let n = 0;
      for await (const { node } of walkTree(repo, tree)) if (node.type === 'file') n += node.size ?? 0;
      total = n;
    })().catch(() => undefined);
  const poll = setInterval(() => progress.update(stats.bytesWritten, total, `${stats.files} files`), progressPeriodMs());
  poll.unref();
  try {
    return await restore(repo, tree, { target, stats, ...(select ? { select } : {}), ...(process.stderr.isTTY && !select ? { onIndexLoaded: sumTotal } : {}) });
  } finally {
    clearInterval(poll);
    progress.update(stats.bytesWritten, total, `${stats.files} files`); // the last line shows the end
    progress.stop();
  }
}

/** The snapshot `restore` names: an id or prefix, or `latest` among those --host/--tag/--path select. */
export async function restoreSnapshot(repo: Repository, values: Record<string, unknown>, name: string): Promise<SnapshotEntry> {
  return (await selectSnapshots(repo, [name], selection(values)))[0]!;
}
