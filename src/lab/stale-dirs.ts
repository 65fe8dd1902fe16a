/**
 * Temporary directories left by processes that died without cleaning up (SIGKILL, or a signal
 * whose default action ended the process before its 'exit' handlers): a lab's directory (the
 * PostgreSQL data directories of a failover bench: hundreds of MB) and the bench's copy of the
 * build. Their names carry the owner's pid (`<prefix><pid>-…`), so a later run can tell a dead
 * owner's leftovers from a live one's. A directory holding KEPT_MARKER was kept on purpose
 * (HS_LAB_KEEP=1) and stays.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './namespaces.js';

/** A file in a lab directory that asks the sweep to leave it (keepFiles: kept for reading). */
export const KEPT_MARKER = '.hotstandby-lab-kept';

/** The owner's pid in `<prefix><pid>-…`, or undefined for any other name. */
export function ownerPid(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const match = /^(\d+)-/.exec(name.slice(prefix.length));
  return match === null ? undefined : Number(match[1]);
}

/**
 * Removes `<parent>/<prefix><pid>-…` directories whose owner no longer runs (not this process's,
 * not a kept one). Returns the paths removed. Call it after the dead owner's processes are gone
 * (sweepStaleLabs first): a PostgreSQL still running in its data directory would write on.
 */
export function sweepStaleDirs(prefix: string, parent: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = ownerPid(name, prefix);
    if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
    const path = join(parent, name);
    if (existsSync(join(path, KEPT_MARKER))) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      /* another process may be sweeping the same leftovers */
    }
  }
  return removed;
}
