/**
 * The dead peer's locks. A node killed mid-run leaves its lock in the repository; restic calls a
 * lock stale only after 30 minutes, or when it names this host and a dead process (design.rst,
 * "Locks"), so a peer's lock would block the survivor's exclusive operations (forget, prune,
 * check) for half an hour. Once VRRP says the peer is gone (this node took over when its
 * master-down timer expired), the locks naming the peer's host are removed — those only: a lock
 * of any other host (an operator's `restic prune` from a laptop) is never touched.
 */
import { decodeLock } from '../repo/lock.js';
import type { Repository } from '../repo/repository.js';

/** Removes every lock naming `host`; returns how many. */
export async function removeHostLocks(repo: Repository, host: string): Promise<number> {
  if (host === '') return 0;
  let removed = 0;
  for (const id of await repo.list('locks')) {
    let hostname: string;
    try {
      hostname = decodeLock(await repo.loadUnpacked('locks', id)).hostname;
    } catch {
      continue; // removed meanwhile, or unreadable: not ours to judge
    }
    if (hostname !== host) continue;
    await repo.backend.remove({ type: 'locks', name: id });
    removed++;
  }
  return removed;
}
