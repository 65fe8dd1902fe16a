/**
 * The scratch space the backup benches (backup-first, backup-rerun) share: a temporary work
 * directory, this build's backup driver, restic's environment (password, a cache inside the work
 * directory) and whether the page cache can be dropped (root).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from './cold-run.js';

export interface BackupBench {
  readonly work: string;
  /** This build's dist/bench/backup-driver.js. */
  readonly driver: string;
  readonly env: NodeJS.ProcessEnv;
  readonly canDrop: boolean;
  /** Runs a command in `env`; throws with its stderr when it fails. */
  sh(cmd: string, args: string[]): void;
}

/** `keep`: use (and create) that directory instead of a fresh temporary one. */
export function backupBench(prefix: string, keep?: string): BackupBench {
  const work = keep ?? mkdtempSync(join(tmpdir(), prefix));
  if (keep !== undefined) mkdirSync(keep, { recursive: true });
  const env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(work, 'restic-cache') };
  return {
    work,
    driver: join(import.meta.dirname, '..', 'backup-driver.js'),
    env,
    canDrop: process.getuid?.() === 0,
    sh: (cmd, args) => runOrThrow(cmd, args, env),
  };
}
