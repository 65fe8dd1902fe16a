/**
 * A private copy of the built daemon for the length of a benchmark run. The checkout is shared:
 * others rebuild dist/ while a 15-minute run goes on, and a run that measured two versions of
 * the daemon would compare nothing. The copy holds package.json, bin/, dist/src/ and the native
 * addon; node_modules is linked (dependencies do not change under a run).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepStaleDirs } from '../../src/lab/stale-dirs.js';

/** `<tmp>/hotstandby-bench-<pid>-…`: the pid lets a later run remove the copy of a run that was killed. */
export const SNAPSHOT_PREFIX = 'hotstandby-bench-';

export interface CodeSnapshot {
  /** Package root of the copy: run `<root>/bin/hotstandby` from here. */
  root: string;
  /** The checkout's HEAD when the copy was taken. */
  commit: string;
  /** Files under src/ and native/ that differ from HEAD (uncommitted work in the copy). */
  uncommittedSourceFiles: number;
  takenAt: string;
  remove(): void;
}

/** Read-only git: GIT_OPTIONAL_LOCKS=0 keeps `git status` from refreshing the shared index. */
function git(root: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  return result.status === 0 ? result.stdout.trim() : '';
}

export function snapshotBuild(packageRoot: string): CodeSnapshot {
  // A run ended by a signal (the lab's handler re-raises it: no 'exit' event) or SIGKILL left its copy.
  sweepStaleDirs(SNAPSHOT_PREFIX);
  const root = mkdtempSync(join(tmpdir(), `${SNAPSHOT_PREFIX}${process.pid}-`));
  const remove = (): void => rmSync(root, { recursive: true, force: true });
  try {
    cpSync(join(packageRoot, 'package.json'), join(root, 'package.json'));
    cpSync(join(packageRoot, 'bin'), join(root, 'bin'), { recursive: true });
    cpSync(join(packageRoot, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
    cpSync(join(packageRoot, 'dist', 'bench'), join(root, 'dist', 'bench'), { recursive: true }); // drivers (backup-driver.js)
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    cpSync(join(packageRoot, 'build', 'Release', 'hsnet.node'), join(root, 'build', 'Release', 'hsnet.node'));
    symlinkSync(join(packageRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  } catch (error) {
    remove();
    throw error;
  }
  const status = git(packageRoot, ['status', '--porcelain', '--', 'src', 'native']);
  return {
    root,
    commit: git(packageRoot, ['rev-parse', '--short', 'HEAD']) || 'unknown',
    uncommittedSourceFiles: status ? status.split('\n').length : 0,
    takenAt: new Date().toISOString(),
    remove,
  };
}
