/**
 * The replica watches its own tree (the same recursive inotify watcher as the source). A change
 * that replication did not make — an operator or a program writing on the backup — is reported
 * as an event and the source is asked to compare that path again, which puts the source's
 * version back (or removes what the source does not have). Changes replication makes are known
 * by path and by what they left there (RecentChanges), since inotify reports after the fact.
 *
 * What this does not do: prevent the write (a reader on the backup may see the local version
 * until the source's comes back, normally within milliseconds while the source is connected;
 * while it is not, at its next connect, whose full comparison also reverts it).
 */
import { lstat } from 'node:fs/promises';
import { packU64 } from './packed.js';
import { absolute, isReplicatorName, type RelPath } from './paths.js';
import { TreeWatcher, type InotifyPort, type TreeChange } from './tree-watcher.js';

/** What replication left at a path: its stamp, or absent. */
type Stamp = string;

/**
 * Paths replication is changing or has just changed, with what it left there: an event whose
 * path still holds exactly that (same inode, size, nanosecond mtime, or still absent) is
 * replication's own; anything else is a local change, however soon after. Held a minute, since
 * on a loaded machine inotify events can arrive seconds late.
 */
export class RecentChanges {
  private readonly entries = new Map<RelPath, { until: number; stamp: Stamp | 'busy' }>();

  constructor(
    private readonly now: () => number,
    private readonly holdMs = 60_000,
  ) {}

  /** Before a change replication makes to `path`: events are its own until done(). */
  begin(path: RelPath): void {
    this.entries.set(path, { until: Infinity, stamp: 'busy' });
  }

  /** After it: what `path` now holds. */
  async done(path: RelPath, root: Buffer): Promise<void> {
    this.entries.set(path, { until: this.now() + this.holdMs, stamp: await stampOf(absolute(root, path)) });
    if (this.entries.size > 100_000) this.expire();
  }

  /** Whether the event at `path` is replication's own. */
  async own(path: RelPath, root: Buffer): Promise<boolean> {
    const entry = this.entries.get(path);
    if (entry === undefined) return false;
    if (entry.stamp === 'busy') return true;
    if (entry.until < this.now()) {
      this.entries.delete(path);
      return false;
    }
    return entry.stamp === (await stampOf(absolute(root, path)));
  }

  private expire(): void {
    const now = this.now();
    for (const [path, entry] of this.entries) if (entry.until < now) this.entries.delete(path);
  }
}

async function stampOf(full: Buffer): Promise<Stamp> {
  const st = await lstat(full, { bigint: true }).catch(() => undefined);
  // Packed (packed.ts): one is held per path changed in the last minute, thousands at a high rate.
  return st === undefined ? 'absent' : packU64(st.ino, st.size, st.mtimeNs, st.mode);
}

export interface ReplicaGuardOptions {
  native: InotifyPort;
  root: Buffer;
  recent: RecentChanges;
  /** A local change (reported) or a region the watcher lost track of (not reported): compare `path` again. */
  onForeign: (path: RelPath, local: boolean) => void;
}

export class ReplicaGuard {
  private readonly watcher: TreeWatcher;

  constructor(private readonly options: ReplicaGuardOptions) {
    const exclude = (path: RelPath) => isReplicatorName(path.slice(path.lastIndexOf('/') + 1));
    this.watcher = new TreeWatcher(options.native, options.root, { exclude, onChanges: (changes) => this.onChanges(changes) });
  }

  start(): Promise<void> {
    return this.watcher.start();
  }

  close(): void {
    this.watcher.close();
  }

  private onChanges(changes: TreeChange[]): void {
    for (const change of changes) {
      if (change.kind === 'rescan') {
        this.options.onForeign(change.path, false);
        continue;
      }
      const paths = change.kind === 'renamed' ? [change.from, change.to] : [change.path];
      for (const path of paths) {
        if (path === '' || isReplicatorName(path.slice(path.lastIndexOf('/') + 1))) continue;
        void this.options.recent.own(path, this.options.root).then((own) => {
          if (!own) this.options.onForeign(path, true);
        });
      }
    }
  }
}
