/**
 * Hard links: the names of files by the file's identity on this side (device and inode). Every
 * file seen is recorded, not only linked ones: link(2) sends no inotify event for the existing
 * name (the link count changes on the inode, and inotify(7) tells the parent directory's watch
 * only of the new name), so the new name's file is found here by its inode. A linked file's entry carries its group's *leader*: the smallest name
 * (in byte order) of the tree that is the same file. Both sides compute it from their own inodes,
 * so equal link structures give equal digests, and a name linked differently shows as a
 * difference. A link to a file outside the tree does not count: only names in the tree are
 * grouped, and a group of one is no group.
 *
 * The index is filled by walks and sends and may hold names that changed since; every name used
 * is checked with lstat first (unless the current walk saw it), so a stale name never decides.
 */
import { lstat } from 'node:fs/promises';
import { packU64 } from './packed.js';
import { absolute, isWithin, type RelPath } from './paths.js';

/** Device and inode, packed (packed.ts: one flat 16-byte string, held for every file). Never shown. */
export type FileKey = string;

export function fileKey(dev: bigint | string | number, ino: bigint | string | number): FileKey {
  return packU64(dev, ino);
}

export class LinkIndex {
  /** One name as a string (the common case, small), several as a set. */
  private readonly byKey = new Map<FileKey, RelPath | Set<RelPath>>();
  private readonly byPath = new Map<RelPath, FileKey>();

  constructor(private readonly root: Buffer) {}

  /** `path` is now the file `key`, or not a file (key undefined). */
  observe(path: RelPath, key: FileKey | undefined): void {
    const previous = this.byPath.get(path);
    if (previous === key) return;
    if (previous !== undefined) this.drop(path, previous);
    if (key === undefined) return;
    this.byPath.set(path, key);
    const names = this.byKey.get(key);
    if (names === undefined) this.byKey.set(key, path);
    else if (typeof names === 'string') this.byKey.set(key, new Set([names, path]));
    else names.add(path);
  }

  /** Every name at or below `dir` (a walk of that subtree observes them again). */
  forgetWithin(dir: RelPath): void {
    // Deleting the entry being visited is safe in a Map's iteration: no copy of the index.
    for (const [path, key] of this.byPath) if (isWithin(path, dir)) this.drop(path, key);
  }

  /**
   * A walk of `dir` saw exactly the files `seen` (name → key) there: names it did not see are
   * forgotten, the others observed. Entries that did not change are left as they are (forgetting
   * and adding every name again would turn the whole index into garbage at each full walk).
   */
  replaceWithin(dir: RelPath, seen: ReadonlyMap<RelPath, FileKey>): void {
    for (const [path, key] of this.byPath) if (seen.get(path) !== key && isWithin(path, dir)) this.drop(path, key);
    for (const [path, key] of seen) this.observe(path, key);
  }

  /** A rename: the names below `from` are now below `to`. */
  rename(from: RelPath, to: RelPath): void {
    const moved = [...this.byPath].filter(([path]) => isWithin(path, from));
    this.forgetWithin(from);
    this.forgetWithin(to); // what `to` was is replaced
    for (const [path, key] of moved) this.observe(to + path.slice(from.length), key);
  }

  /** Names of `key` known now, sorted in byte order (unchecked). */
  names(key: FileKey): RelPath[] {
    const names = this.byKey.get(key);
    return names === undefined ? [] : typeof names === 'string' ? [names] : [...names].sort();
  }

  get size(): number {
    return this.byPath.size;
  }

  /**
   * The other names of `key` that are still that file (checked with lstat unless in `fresh`,
   * the names the current walk saw as `key`), sorted; stale names are forgotten.
   */
  async verifiedNames(key: FileKey, fresh?: ReadonlyMap<RelPath, FileKey>): Promise<RelPath[]> {
    const out: RelPath[] = [];
    for (const name of this.names(key)) {
      if (fresh?.get(name) === key) {
        out.push(name);
        continue;
      }
      const st = await lstat(absolute(this.root, name), { bigint: true }).catch(() => undefined);
      if (st !== undefined && st.isFile() && fileKey(st.dev, st.ino) === key) out.push(name);
      else this.observe(name, st !== undefined && st.isFile() ? fileKey(st.dev, st.ino) : undefined);
    }
    return out;
  }

  /** The group's leader for `path` (the smallest verified name), or undefined when it is alone in the tree (call only for st_nlink > 1). */
  async leader(path: RelPath, key: FileKey, fresh?: ReadonlyMap<RelPath, FileKey>): Promise<RelPath | undefined> {
    this.observe(path, key);
    const names = await this.verifiedNames(key, fresh);
    return names.length > 1 ? names[0] : undefined;
  }

  private drop(path: RelPath, key: FileKey): void {
    this.byPath.delete(path);
    const names = this.byKey.get(key);
    if (names === path) this.byKey.delete(key);
    else if (typeof names === 'object') {
      names.delete(path);
      if (names.size === 1) this.byKey.set(key, [...names][0]!);
    }
  }
}
