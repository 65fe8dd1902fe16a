/**
 * `backup unlock`: removes stale locks (older than 30 minutes, or of a process on this host that
 * is gone; design.rst, "Locks"), or with `removeAll` every lock — for a lock left by a machine
 * that is known to be down, as restic's `unlock --remove-all`.
 */
import { isStale } from '../lock.js';
import { decodeLock } from '../repo/lock.js';
import type { Repository } from '../repo/repository.js';
import { whoAmI } from '../repo/repository.js';

export interface UnlockResult {
  removed: string[];
  kept: string[];
}

export async function unlock(repo: Repository, removeAll: boolean, nowSec = Date.now() / 1000): Promise<UnlockResult> {
  const host = whoAmI().hostname;
  const out: UnlockResult = { removed: [], kept: [] };
  for (const id of await repo.list('locks')) {
    let stale = true;
    if (!removeAll) {
      try {
        stale = isStale(decodeLock(await repo.loadUnpacked('locks', id)), nowSec, host);
      } catch {
        stale = true; // an unreadable lock file is no lock (restic removes those too)
      }
    }
    if (stale) {
      await repo.backend.remove({ type: 'locks', name: id });
      out.removed.push(id);
    } else out.kept.push(id);
  }
  return out;
}
