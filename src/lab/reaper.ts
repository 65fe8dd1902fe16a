/**
 * The lab's reaper: a small detached process, one per process that builds labs, that outlives
 * it and removes its labs when it died without cleaning up (SIGKILL: a bench killed by a timeout
 * mid-check). The lab's own children die with it (setpriv's parent-death signal, lab-process.ts),
 * but not what they started in the background: a PostgreSQL that `pg_ctl start` detached keeps
 * running in its namespace and writing its data directory until something removes them. Without
 * the reaper that was the next Lab.create's sweep, whenever some later run came.
 *
 * The reaper polls whether its owner lives (a pid can be reused; the sweep then waits for the
 * new process, which is harmless), then sweeps every dead owner's namespaces (killing what runs
 * in them) and directories, exactly as Lab.create does, and ends. When the owner ends normally
 * its labs are already gone and the sweep finds nothing of it.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAB_DIR_PREFIX } from './naming.js';
import { isProcessAlive, sweepStaleLabs } from './namespaces.js';
import { nodeEntryCommand } from './node-entry.js';
import { sweepStaleDirs } from './stale-dirs.js';

export interface ReaperConfig {
  /** The pid whose death starts the sweep. */
  readonly owner: number;
  /** How often to look; default 500 ms. */
  readonly intervalMs?: number;
}

let reaperPid: number | undefined;

/**
 * Starts this process's reaper once (detached: its own session, so a terminal's Ctrl-C or the
 * owner's process group being killed does not take it along; unref'd: it never keeps the owner alive).
 */
export function ensureReaper(): number | undefined {
  if (reaperPid !== undefined) return reaperPid;
  const [file, ...args] = nodeEntryCommand(new URL('./reaper.js', import.meta.url).href, 'reapAfter', { owner: process.pid } satisfies ReaperConfig);
  const child = spawn(file as string, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined); // no reaper: Lab.create's sweep remains
  child.unref();
  reaperPid = child.pid;
  return reaperPid;
}

/** The reaper's body (nodeEntryCommand): waits for the owner's death, then removes its leftovers. */
export async function reapAfter(config: ReaperConfig): Promise<void> {
  if (!Number.isInteger(config.owner) || config.owner <= 0) throw new RangeError(`reapAfter: owner must be a pid, got ${String(config.owner)}`);
  while (isProcessAlive(config.owner)) await sleep(config.intervalMs ?? 500);
  await sweepStaleLabs();
  sweepStaleDirs(LAB_DIR_PREFIX);
}
