/**
 * V8 flags for the processes that move backup data (`hotstandby backup run | restore | …`, the
 * bench's driver): only node's command line can set them, so the process starts node again once
 * with them (execve, same pid and descriptors: see relaunchWithNodeFlags).
 *
 * A backup allocates a tree node, a name and a few buffers per file, nearly all short-lived. With
 * V8's default young generation (a 16 MB semi-space it grows to, starting at 1 MB) a backup of many
 * small files spends its time in scavenges that copy still-live objects back and forth; a fixed
 * 4 MB semi-space scavenges less often than the small start and keeps the resident set well below
 * the 16 MB default's (measurements: docs/backups.md, "Performance").
 */
import { relaunchWithNodeFlags } from '../daemon/node-runtime.js';

export const BACKUP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** The flag's name (`--max-semi-space-size`): a value set by the user, on node's command line or in NODE_OPTIONS, is kept. */
const flagName = (flag: string) => flag.split('=')[0]!.replaceAll('_', '-');

/** BACKUP_NODE_FLAGS whose option is not set at all, on node's command line or in NODE_OPTIONS. */
export function missingBackupFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].filter(Boolean).map(flagName);
  return BACKUP_NODE_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}

/** Starts node again with the missing BACKUP_NODE_FLAGS (once); returns when there is nothing to do or it cannot. */
export function relaunchWithBackupFlags(warn: (message: string) => void): void {
  relaunchWithNodeFlags(missingBackupFlags(), warn);
}

/** The `hotstandby backup` verbs that move a repository's worth of data (measured: run, restore). */
const DATA_VERBS = new Set(['run', 'restore']);

/** restore's options that select single files or subtrees (`--include X`, `--include=X`, `-i X`, `-iX`). */
const isInclude = (a: string) => a === '--include' || a.startsWith('--include=') || a.startsWith('-i');

/**
 * Whether `hotstandby backup ARGV…` moves enough data for the flags to pay: `run`, and `restore`
 * unless it selects with --include (a single-file restore is over before the first scavenge, and
 * the relaunch costs 0.05–0.13 s). Decided before the verb's modules load (loading them twice
 * would cost more than the flag saves on a small backup), so on the raw arguments: an argument
 * that is only a value spelled `run` (a path, a tag) at worst costs one needless relaunch.
 */
export function wantsBackupFlags(argv: readonly string[]): boolean {
  const verb = argv.find((a) => DATA_VERBS.has(a));
  if (verb === undefined) return false;
  return verb === 'run' || !argv.some(isInclude);
}

/** For `hotstandby backup ARGV…`: starts node again with the flags when wantsBackupFlags(ARGV). */
export function relaunchForBackupVerb(argv: readonly string[], warn: (message: string) => void): void {
  if (wantsBackupFlags(argv)) relaunchWithBackupFlags(warn);
}
