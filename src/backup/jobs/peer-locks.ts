/**
 * The dead peer's locks. A node killed mid-run leaves its lock in the repository; restic calls a
 * lock stale only after 30 minutes, or when it names this host and a dead process (design.rst,
 * "Locks"), so a peer's lock would block the survivor's exclusive operations (forget, prune,
 * check) for half an hour. Once VRRP says the peer is gone (this node took over when its
 * master-down timer expired), the locks naming the peer's host are removed — those only: a lock
 * of any other host (an operator's `restic prune` from a laptop) is never touched.
 * The same with a process id releases the locks of a worker the daemon killed (a job removed by
 * a reload): that process is known dead, and its locks name it.
 */
import { decodeLock } from '../repo/lock.js';
import type { Repository } from '../repo/repository.js';

/** Removes every lock naming `host` (and, given, that process id on it); returns how many. */
export async function removeHostLocks(repo: Repository, host: string, pid?: number): Promise<number> {
  if (host === '') return 0;
  let removed = 0;
  for (const id of await repo.list('locks')) {
    let lock: { hostname: string; pid: number };
    try {
      lock = decodeLock(await repo.loadUnpacked('locks', id));
    } catch {
      continue; // removed meanwhile, or unreadable: not ours to judge
    }
    if (lock.hostname !== host || (pid !== undefined && lock.pid !== pid)) continue;
    await repo.backend.remove({ type: 'locks', name: id });
    removed++;
  }
  return removed;
}
