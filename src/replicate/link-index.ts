/**
 * Hard links: the names of multiply-linked files (st_nlink > 1), by the file's identity on this
 * side (device and inode). A linked file's entry carries its group's *leader*: the smallest name
 * (in byte order) of the tree that is the same file. Both sides compute it from their own inodes,
 * so equal link structures give equal digests, and a name linked differently shows as a
 * difference. A link to a file outside the tree does not count: only names in the tree are
 * grouped, and a group of one is no group.
 *
 * The index is filled by walks and sends and may hold names that changed since; every name used
 * is checked with lstat first (unless the current walk saw it), so a stale name never decides.
 */
import { lstat } from 'node:fs/promises';
import { absolute, isWithin, type RelPath } from './paths.js';

/** dev:ino, as decimal strings. */
export type FileKey = string;

export function fileKey(dev: bigint | string | number, ino: bigint | string | number): FileKey {
  return `${dev}:${ino}`;
}

export class LinkIndex {
  private readonly byKey = new Map<FileKey, Set<RelPath>>();
  private readonly byPath = new Map<RelPath, FileKey>();

  constructor(private readonly root: Buffer) {}

  /** `path` is now `key` (a file with more than one link), or not linked (key undefined). */
  observe(path: RelPath, key: FileKey | undefined): void {
    const previous = this.byPath.get(path);
    if (previous === key) return;
    if (previous !== undefined) this.drop(path, previous);
    if (key === undefined) return;
    this.byPath.set(path, key);
    let names = this.byKey.get(key);
    if (names === undefined) this.byKey.set(key, (names = new Set()));
    names.add(path);
  }

  /** Every name at or below `dir` (a walk of that subtree observes them again). */
  forgetWithin(dir: RelPath): void {
    for (const [path, key] of [...this.byPath]) if (isWithin(path, dir)) this.drop(path, key);
  }

  /** A rename: the names below `from` are now below `to`. */
  rename(from: RelPath, to: RelPath): void {
    for (const [path, key] of [...this.byPath]) {
      if (!isWithin(path, from)) continue;
      this.drop(path, key);
      this.observe(to + path.slice(from.length), key);
    }
    this.forgetWithin(to); // what `to` replaced is checked again when used
  }

  /** Names of `key` known now, sorted in byte order (unchecked). */
  names(key: FileKey): RelPath[] {
    return [...(this.byKey.get(key) ?? [])].sort();
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
      if (st !== undefined && st.isFile() && st.nlink > 1n && fileKey(st.dev, st.ino) === key) out.push(name);
      else this.observe(name, st !== undefined && st.isFile() && st.nlink > 1n ? fileKey(st.dev, st.ino) : undefined);
    }
    return out;
  }

  /** The group's leader for `path` (the smallest verified name), or undefined when it is alone in the tree. */
  async leader(path: RelPath, key: FileKey, fresh?: ReadonlyMap<RelPath, FileKey>): Promise<RelPath | undefined> {
    this.observe(path, key);
    const names = await this.verifiedNames(key, fresh);
    return names.length > 1 ? names[0] : undefined;
  }

  private drop(path: RelPath, key: FileKey): void {
    this.byPath.delete(path);
    const names = this.byKey.get(key);
    names?.delete(path);
    if (names?.size === 0) this.byKey.delete(key);
  }
}
