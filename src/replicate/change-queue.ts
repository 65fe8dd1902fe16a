/**
 * The source's backlog: what must be sent, coalesced per path. A burst of events on one path
 * is one entry (the send reads the file as it is then); renames keep their place in the order,
 * since a rename depends on what came before it; a rescan of a subtree absorbs the entries below
 * it. Pure: the caller passes the time.
 */
import { isWithin, type RelPath } from './paths.js';

export type Work =
  | { kind: 'sync'; path: RelPath; since: number }
  | { kind: 'rename'; from: RelPath; to: RelPath; since: number }
  | { kind: 'rescan'; path: RelPath; reason: string; since: number };

export class ChangeQueue {
  private items: Work[] = [];
  private readonly syncs = new Map<RelPath, Work>();
  /** Rescans waiting (so the common case, none, costs no search). */
  private rescans = 0;

  get depth(): number {
    return this.items.length;
  }

  /** Monotonic ms at which the oldest waiting change happened (undefined when empty). */
  oldest(): number | undefined {
    let oldest: number | undefined;
    for (const item of this.items) if (oldest === undefined || item.since < oldest) oldest = item.since;
    return oldest;
  }

  sync(path: RelPath, now: number): void {
    if (this.syncs.has(path) || this.coveredByRescan(path)) return;
    const item: Work = { kind: 'sync', path, since: now };
    this.syncs.set(path, item);
    this.items.push(item);
  }

  rename(from: RelPath, to: RelPath, now: number): void {
    // A rename of something not sent yet: send it under its new name instead.
    const pending = this.syncs.get(from);
    if (pending !== undefined) {
      this.drop(pending);
      this.sync(to, pending.since);
      return;
    }
    this.items.push({ kind: 'rename', from, to, since: now });
    // Anything waiting below the old name of a directory is now below the new one.
    for (const item of [...this.items]) {
      if (item.kind === 'sync' && item.path !== from && isWithin(item.path, from)) {
        this.drop(item);
        this.sync(to + item.path.slice(from.length), item.since);
      }
    }
  }

  rescan(path: RelPath, reason: string, now: number): void {
    if (this.coveredByRescan(path)) return;
    let since = now;
    for (const item of [...this.items]) {
      const below = item.kind === 'rename' ? isWithin(item.from, path) && isWithin(item.to, path) : isWithin(item.path, path);
      if (below) {
        since = Math.min(since, item.since);
        this.drop(item);
      }
    }
    this.items.push({ kind: 'rescan', path, reason, since });
    this.rescans++;
  }

  /** The next item whose path is not busy (a send of the same path still in flight waits). */
  take(busy: (path: RelPath) => boolean): Work | undefined {
    const index = this.items.findIndex((item) => item.kind !== 'sync' || !busy(item.path));
    if (index < 0) return undefined;
    const [item] = this.items.splice(index, 1);
    if (item!.kind === 'sync') this.syncs.delete(item!.path);
    if (item!.kind === 'rescan') this.rescans--;
    return item;
  }

  /** Puts a taken item back at the front (its send failed and will be retried). */
  retry(item: Work): void {
    if (item.kind === 'sync') {
      if (this.syncs.has(item.path)) return;
      this.syncs.set(item.path, item);
    }
    if (item.kind === 'rescan') this.rescans++;
    this.items.unshift(item);
  }

  clear(): void {
    this.items = [];
    this.syncs.clear();
    this.rescans = 0;
  }

  private coveredByRescan(path: RelPath): boolean {
    return this.rescans > 0 && this.items.some((item) => item.kind === 'rescan' && isWithin(path, item.path));
  }

  private drop(item: Work): void {
    this.items.splice(this.items.indexOf(item), 1);
    if (item.kind === 'sync') this.syncs.delete(item.path);
    if (item.kind === 'rescan') this.rescans--;
  }
}
