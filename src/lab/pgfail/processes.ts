/**
 * The processes a fault acts on: the HA daemon's own processes (its tree without PostgreSQL's,
 * since Patroni is PostgreSQL's parent and a paused daemon must not pause the database), the
 * postmaster (from postmaster.pid, only while that process lives) and signals to a list of pids.
 */
import { readFileSync } from 'node:fs';
import { postmasterPidOf } from '../postgresql.js';
import { processTree } from '../process-tree.js';

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** The live postmaster of `dataDir`, or undefined (a stale postmaster.pid after kill -9 is ignored). */
export function livePostmaster(dataDir: string): number | undefined {
  const pid = postmasterPidOf(dataDir);
  return pid !== undefined && alive(pid) ? pid : undefined;
}

/** `root`'s process tree without `exclude`'s (empty when root is gone). */
export function treeWithout(root: number | undefined, exclude: number | undefined): number[] {
  if (root === undefined) return [];
  const excluded = new Set(exclude === undefined ? [] : processTree(exclude));
  return processTree(root).filter((pid) => !excluded.has(pid));
}

/** Sends `signal` to each pid; SIGKILL stops them all first, so no parent restarts a child in between. */
export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  const send = (sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (signal === 'SIGKILL') send('SIGSTOP');
  send(signal);
}
