/**
 * Repository locks as restic takes them (design.rst, "Locks"): a backup holds a non-exclusive lock,
 * prune and check an exclusive one; a lock older than 30 minutes, or of a process on this host
 * that is gone, is stale and ignored.
 */
import { decodeLock, encodeLock, STALE_LOCK_SECONDS, type Lock } from './repo/lock.js';
import { goTimeNow } from './repo/go-json.js';
import type { Id } from './repo/id.js';
import { whoAmI, type Repository } from './repo/repository.js';
import { processAlive } from '../util/process-alive.js';

/** Another process holds a conflicting lock. Callers are expected to catch it. */
export class LockedError extends Error {
  override name = 'LockedError';
}

export function isStale(lock: Lock, nowSec: number, host: string): boolean {
  if (nowSec - lock.time.sec > STALE_LOCK_SECONDS) return true;
  return lock.hostname === host && !processAlive(lock.pid);
}

/** Takes a lock; returns the function that releases it. Rejects with LockedError on a conflict. */
export async function acquireLock(repo: Repository, exclusive: boolean): Promise<() => Promise<void>> {
  const who = whoAmI();
  const nowSec = Date.now() / 1000;
  for (const id of await repo.list('locks')) {
    let lock: Lock;
    try {
      lock = decodeLock(await repo.loadUnpacked('locks', id));
    } catch {
      continue; // removed meanwhile, or unreadable: restic ignores those too
    }
    if (isStale(lock, nowSec, who.hostname)) continue;
    if (exclusive || lock.exclusive) {
      throw new LockedError(
        `Repository is already locked ${lock.exclusive ? 'exclusively ' : ''}by PID ${lock.pid} on ${lock.hostname} by ${lock.username} (lock ${id.slice(0, 8)})`,
      );
    }
  }
  const mine: Lock = {
    time: goTimeNow(),
    exclusive,
    hostname: who.hostname,
    username: who.username,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
  const id: Id = await repo.saveUnpacked('locks', encodeLock(mine));
  return () => repo.backend.remove({ type: 'locks', name: id });
}
