/**
 * Recursive change detection over inotify (the native addon's Inotify): one watch per directory,
 * added for every new directory, with the race closed by scanning the new directory once its
 * watch exists (anything created before that is reported from the scan). Renames inside the tree
 * are paired by cookie and reported as renames. What inotify cannot vouch for — a queue overflow,
 * a watch the kernel dropped on its own, a watch that could not be added — is reported as
 * "rescan needed" for the smallest subtree that covers it; nothing is silently dropped.
 */
import { readdir } from 'node:fs/promises';
import type { NativeInotify, NativeInotifyEvent } from '../net/native.js';
import { absolute, isWithin, joinRel, parentOf, relFromBytes, type RelPath } from './paths.js';

export type TreeChange =
  /**
   * `settle`: content is being written (IN_CREATE / IN_MODIFY of a non-directory without a close
   * yet); the caller waits for the writer's close (a later change without settle) or a pause,
   * so a half-written file is not sent as if it were a version.
   */
  | { kind: 'changed'; path: RelPath; settle?: boolean }
  | { kind: 'renamed'; from: RelPath; to: RelPath; isDir: boolean }
  | { kind: 'rescan'; path: RelPath; reason: string };

/** What the watcher needs from the addon. */
export interface InotifyPort {
  Inotify: new (onEvents: (batch: NativeInotifyEvent[]) => void, onError: (err: Error) => void) => NativeInotify;
  constants: Readonly<Record<string, number>>;
}

export interface TreeWatcherOptions {
  /** Paths (and the subtrees below directories) never reported. */
  exclude?: (path: RelPath) => boolean;
  /** Called once per kernel batch with the changes it implies, in order. */
  onChanges: (changes: TreeChange[]) => void;
  /** An error of the inotify descriptor itself; the watcher reports a rescan of the root too. */
  onError?: (err: Error) => void;
}

export class TreeWatcher {
  private readonly inotify: NativeInotify;
  private readonly k: Readonly<Record<string, number>>;
  private readonly mask: number;
  private readonly byWd = new Map<number, RelPath>();
  private readonly byPath = new Map<RelPath, number>();
  /** Watches we removed ourselves: their IN_IGNORED is expected. */
  private readonly removed = new Set<number>();
  private closed = false;
  /** Batches that must scan new directories finish in order: later batches wait for them. */
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly native: InotifyPort,
    private readonly root: Buffer,
    private readonly options: TreeWatcherOptions,
  ) {
    this.k = native.constants;
    const k = this.k;
    this.mask =
      (k.IN_MODIFY! | k.IN_ATTRIB! | k.IN_CLOSE_WRITE! | k.IN_MOVED_FROM! | k.IN_MOVED_TO! | k.IN_CREATE! |
        k.IN_DELETE! | k.IN_DELETE_SELF! | k.IN_MOVE_SELF! | k.IN_ONLYDIR! | k.IN_DONT_FOLLOW! | k.IN_EXCL_UNLINK!) >>> 0;
    this.inotify = new native.Inotify(
      (batch) => this.onBatch(batch),
      (err) => {
        this.options.onError?.(err);
        this.emit([{ kind: 'rescan', path: '', reason: `inotify read failed: ${err.message}` }]);
      },
    );
  }

  /** Watches the whole tree (resolves once every directory present now is watched). */
  async start(): Promise<void> {
    const lost: TreeChange[] = [];
    await this.watchTree('', lost, false);
    if (lost.length > 0) this.emit(lost);
  }

  /** Number of directories watched (for status and tests). */
  get watchCount(): number {
    return this.byWd.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inotify.close();
  }

  private emit(changes: TreeChange[]): void {
    if (!this.closed && changes.length > 0) this.options.onChanges(changes);
  }

  private excluded(path: RelPath): boolean {
    return path !== '' && (this.options.exclude?.(path) ?? false);
  }

  /**
   * Adds watches for `dir` and every directory below it. With `report`, every entry found is
   * reported as changed: it may have been created before the watch existed (the mkdir race).
   */
  private async watchTree(dir: RelPath, out: TreeChange[], report: boolean): Promise<void> {
    if (this.closed || this.excluded(dir)) return;
    try {
      const wd = this.inotify.addWatch(absolute(this.root, dir), this.mask);
      const previous = this.byWd.get(wd);
      if (previous !== undefined && previous !== dir) this.byPath.delete(previous);
      this.byWd.set(wd, dir);
      this.byPath.set(dir, wd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Gone already (deleted or moved away): its removal is reported by its parent's events.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      out.push({ kind: 'rescan', path: dir, reason: `cannot watch: ${code ?? (err as Error).message}` });
      return;
    }
    let entries;
    try {
      entries = await readdir(absolute(this.root, dir), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return; // vanished between the watch and the scan: its parent reports it
    }
    for (const entry of entries) {
      const path = joinRel(dir, relFromBytes(entry.name as unknown as Buffer));
      if (this.excluded(path)) continue;
      if (report) out.push({ kind: 'changed', path });
      if (entry.isDirectory()) await this.watchTree(path, out, report);
    }
  }

  private forgetSubtree(dir: RelPath): void {
    for (const [path, wd] of [...this.byPath]) {
      if (!isWithin(path, dir)) continue;
      this.byPath.delete(path);
      this.byWd.delete(wd);
      this.removed.add(wd);
      this.inotify.removeWatch(wd);
    }
  }

  private moveSubtree(from: RelPath, to: RelPath): void {
    for (const [path, wd] of [...this.byPath]) {
      if (!isWithin(path, from)) continue;
      const moved = to + path.slice(from.length);
      this.byPath.delete(path);
      this.byPath.set(moved, wd);
      this.byWd.set(wd, moved);
    }
  }

  private onBatch(batch: NativeInotifyEvent[]): void {
    const k = this.k;
    const out: TreeChange[] = [];
    const newDirs: RelPath[] = [];
    // IN_MOVED_FROM waiting for its IN_MOVED_TO (same cookie); unpaired ones are deletions.
    const movedFrom = new Map<number, { path: RelPath; isDir: boolean; index: number }>();
    for (const event of batch) {
      if (event.mask & k.IN_Q_OVERFLOW!) {
        out.push({ kind: 'rescan', path: '', reason: 'inotify queue overflow' });
        continue;
      }
      const dir = this.byWd.get(event.wd);
      if (event.mask & k.IN_IGNORED!) {
        if (this.removed.delete(event.wd)) continue;
        if (dir !== undefined) {
          this.byWd.delete(event.wd);
          if (this.byPath.get(dir) === event.wd) this.byPath.delete(dir);
          // Deleted directories say IN_DELETE_SELF first; anything else (unmount, the
          // filesystem dropping it) leaves that subtree unwatched.
          out.push({ kind: 'rescan', path: parentOf(dir), reason: 'watch lost' });
        }
        continue;
      }
      if (dir === undefined) continue; // a stale wd's last events
      const isDir = (event.mask & k.IN_ISDIR!) !== 0;
      if (event.name === undefined) {
        if (event.mask & (k.IN_DELETE_SELF! | k.IN_UNMOUNT!)) {
          this.byWd.delete(event.wd);
          if (this.byPath.get(dir) === event.wd) this.byPath.delete(dir);
          this.removed.add(event.wd);
          if (event.mask & k.IN_UNMOUNT!) out.push({ kind: 'rescan', path: parentOf(dir), reason: 'unmounted' });
        }
        continue; // IN_MOVE_SELF and events on the directory itself come from its parent too
      }
      const path = joinRel(dir, relFromBytes(event.name));
      if (this.excluded(path)) continue;
      if (event.mask & k.IN_MOVED_FROM!) {
        movedFrom.set(event.cookie, { path, isDir, index: out.length });
        out.push({ kind: 'changed', path }); // replaced by a rename if the pair shows up
        continue;
      }
      if (event.mask & k.IN_MOVED_TO!) {
        const from = movedFrom.get(event.cookie);
        if (from !== undefined) {
          movedFrom.delete(event.cookie);
          out[from.index] = { kind: 'renamed', from: from.path, to: path, isDir };
          if (isDir) this.moveSubtree(from.path, path);
        } else {
          out.push({ kind: 'changed', path });
          if (isDir) newDirs.push(path); // moved in from outside: unwatched, unknown contents
        }
        continue;
      }
      if (event.mask & k.IN_DELETE! && isDir) this.forgetSubtree(path);
      const writing = !isDir && (event.mask & (k.IN_CREATE! | k.IN_MODIFY!)) !== 0 && (event.mask & k.IN_CLOSE_WRITE!) === 0;
      out.push(writing ? { kind: 'changed', path, settle: true } : { kind: 'changed', path });
      if (event.mask & k.IN_CREATE! && isDir) newDirs.push(path);
    }
    // Directories moved out of the tree: their watches now describe something else.
    for (const from of movedFrom.values()) if (from.isDir) this.forgetSubtree(from.path);
    // The new directories' contents go out after the events that announced them, and every
    // batch after one that scans goes out after it.
    this.pending = this.pending.then(async () => {
      for (const dir of newDirs) await this.watchTree(dir, out, true);
      this.emit(out);
    });
  }
}
