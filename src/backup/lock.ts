/**
 * Repository locks as restic takes them (design.rst, "Locks"): a backup holds a non-exclusive lock,
 * prune and check an exclusive one; a lock older than 30 minutes, or of a process on this host
 * that is gone, is stale and ignored.
 */
import { decodeLock, encodeLock, STALE_LOCK_SECONDS, type Lock } from './repo/lock.js';
import { formatGoTime, goTimeNow } from './repo/go-json.js';
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

/** restic refreshes its locks every 5 minutes, well inside the 30 minutes after which they are stale. */
export const LOCK_REFRESH_MS = 5 * 60 * 1000;

export interface LockOptions {
  /** How often the lock file is renewed while held (default: every 5 minutes, as restic). */
  refreshMs?: number;
  /** Called when a refresh fails (the lock may then go stale under a long run). */
  onRefreshError?: (err: unknown) => void;
}

/** A lock held by someone else that conflicts with the one wanted, or undefined. */
async function conflict(repo: Repository, exclusive: boolean, own: Id | undefined): Promise<string | undefined> {
  const who = whoAmI();
  const nowSec = Date.now() / 1000;
  for (const id of await repo.list('locks')) {
    if (id === own) continue;
    let lock: Lock;
    try {
      lock = decodeLock(await repo.loadUnpacked('locks', id));
    } catch {
      continue; // removed meanwhile, or unreadable: restic ignores those too
    }
    if (lock.hostname === who.hostname && !processAlive(lock.pid)) {
      // Left by a process of this host that died (kill -9, power loss): remove it, so that it
      // does not block restic, which keeps such locks until `unlock`.
      await repo.backend.remove({ type: 'locks', name: id });
      continue;
    }
    if (isStale(lock, nowSec, who.hostname)) continue;
    if (exclusive || lock.exclusive) {
      return `Repository is already locked ${lock.exclusive ? 'exclusively ' : ''}by PID ${lock.pid} on ${lock.hostname} by ${lock.username} (lock ${id.slice(0, 8)}, created ${formatGoTime(lock.time)})`;
    }
  }
  return undefined;
}

function ownLock(exclusive: boolean): Lock {
  const who = whoAmI();
  return {
    time: goTimeNow(),
    exclusive,
    hostname: who.hostname,
    username: who.username,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
}

/**
 * Takes a lock as restic does (internal/restic/lock.go): checks for conflicting locks, writes its
 * own, then checks again, so that two processes locking at once both see each other and back
 * off rather than both proceed. The lock is renewed every `refreshMs` (a new file, then the old
 * one removed) so that it never looks stale while held. Returns the function that releases it;
 * rejects with LockedError on a conflict, leaving nothing behind.
 */
export async function acquireLock(repo: Repository, exclusive: boolean, options: LockOptions = {}): Promise<() => Promise<void>> {
  const before = await conflict(repo, exclusive, undefined);
  if (before) throw new LockedError(before);
  let id: Id = await repo.saveUnpacked('locks', encodeLock(ownLock(exclusive)));
  const after = await conflict(repo, exclusive, id);
  if (after) {
    await repo.backend.remove({ type: 'locks', name: id });
    throw new LockedError(after);
  }
  let refreshing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = (async () => {
      const next = await repo.saveUnpacked('locks', encodeLock(ownLock(exclusive)));
      const old = id;
      id = next;
      await repo.backend.remove({ type: 'locks', name: old });
    })().catch((err: unknown) => options.onRefreshError?.(err));
  }, options.refreshMs ?? LOCK_REFRESH_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await refreshing;
    await repo.backend.remove({ type: 'locks', name: id });
  };
}

/**
 * Runs `work` under the lock (acquireLock) and releases it after. When `work` fails, that is the
 * error the caller gets, even if the release fails too: with the target gone (an unplugged disk,
 * an S3 server down) removing the lock fails as well, and a plain `finally` would put that second
 * error in place of the reason the work failed. The release's failure is then added to the message.
 */
export async function withLock<T>(repo: Repository, exclusive: boolean, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireLock(repo, exclusive, options);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await release().catch((releaseErr: unknown) => {
      if (err instanceof Error) err.message += ` (and removing the lock failed: ${releaseErr instanceof Error ? releaseErr.message : String(releaseErr)})`;
    });
    throw err;
  }
  await release();
  return result;
}
