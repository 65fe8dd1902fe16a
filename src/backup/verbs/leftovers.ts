/**
 * The temporary files interrupted saves leave (`<name>-tmp-<random>`, ours and restic's local
 * and sftp backends alike): removed by prune, which holds the exclusive lock — no writer that
 * honours locks (hotstandby, restic) can be saving meanwhile. As a second guard, against a
 * writer whose lock went stale under it (restic's 30 minutes unrefreshed), only files nobody has
 * written to for that long are removed; a younger one is counted and left for a later prune.
 */
import type { Backend, TempFileInfo } from '../repo/backend.js';
import { STALE_LOCK_SECONDS } from '../repo/lock.js';

/** A temporary file untouched this long belongs to no live writer (restic's stale-lock age). */
export const LEFTOVER_MIN_AGE_MS = STALE_LOCK_SECONDS * 1000;

export interface LeftoverResult {
  removed: TempFileInfo[];
  /** Too recent to be known dead: kept. */
  kept: TempFileInfo[];
  bytesRemoved: number;
}

export async function removeLeftovers(backend: Backend, options: { now: number; minAgeMs?: number; dryRun?: boolean }): Promise<LeftoverResult> {
  const minAge = options.minAgeMs ?? LEFTOVER_MIN_AGE_MS;
  const out: LeftoverResult = { removed: [], kept: [], bytesRemoved: 0 };
  for (const f of await backend.listTemporary()) {
    if (options.now - f.modifiedMs < minAge) {
      out.kept.push(f);
      continue;
    }
    if (!options.dryRun) await backend.removeTemporary(f);
    out.removed.push(f);
    out.bytesRemoved += f.size;
  }
  return out;
}
