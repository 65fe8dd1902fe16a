/**
 * Merkle-style digests of a directory tree, so two sides compare an unchanged tree by one hash
 * per directory and descend only into the subtrees that differ. A directory's digest covers, for
 * each entry in byte order of names: the name's bytes, its type, mode, owner, group, and for a file
 * its size, nanosecond mtime and content hash; for a symlink its target and mtime; for a
 * directory its own digest. Directory mtimes are left out: applying any change moves them.
 * Content hashes are cached by (path, inode, size, mtime, ctime), so a rescan of an unchanged tree
 * reads metadata only.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { ContentCache, stampOf } from './content-cache.js';
import { absolute, isReplicatorName, joinRel, relFromBytes, type RelPath } from './paths.js';

export type EntryType = 'file' | 'dir' | 'symlink';

/** One directory entry as both sides describe it. */
export interface EntryMeta {
  name: RelPath;
  type: EntryType;
  /** Permission bits (07777); 0 for a symlink (Linux has no lchmod). */
  mode: number;
  uid: number;
  gid: number;
  /** Files only; 0 otherwise. */
  size: bigint;
  /** Files and symlinks; 0 for directories. */
  mtimeNs: bigint;
  /** Content hash (file), target hash (symlink) or subtree digest (dir); 32 bytes. */
  digest: Buffer;
}

export interface DigestOptions {
  exclude?: (path: RelPath) => boolean;
  /** The addon's one-job read of a small file (native/small-files.cc): hashing costs one trip to the thread pool. */
  readSmallFile?: (path: Buffer, limit: number) => Promise<{ data?: Buffer }>;
  /** Content hashes, possibly loaded from disk and shared by the digesters of one tree (content-cache.ts). */
  cache?: ContentCache;
}

/** Entries of one directory described at once (their lstat / hash calls overlap). */
const DESCRIBE_PARALLEL = 32;
const SMALL_FILE = 256 * 1024;

const UNREADABLE = Buffer.alloc(32);

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export async function hashFile(path: Buffer): Promise<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

/** The bytes an entry contributes to its directory's digest. */
export function encodeEntry(entry: EntryMeta): Buffer {
  const name = Buffer.from(entry.name, 'latin1');
  const fixed = Buffer.alloc(4 + 1 + 4 + 4 + 4 + 8 + 8);
  let o = fixed.writeUInt32BE(name.length, 0);
  o = fixed.writeUInt8(entry.type === 'file' ? 1 : entry.type === 'dir' ? 2 : 3, o);
  o = fixed.writeUInt32BE(entry.mode, o);
  o = fixed.writeUInt32BE(entry.uid, o);
  o = fixed.writeUInt32BE(entry.gid, o);
  o = fixed.writeBigUInt64BE(entry.size, o);
  fixed.writeBigInt64BE(entry.mtimeNs, o);
  return Buffer.concat([fixed, name, entry.digest]);
}

export function digestOfEntries(entries: readonly EntryMeta[]): Buffer {
  return sha256(...entries.map(encodeEntry));
}

/** True when two descriptions of the same name need no transfer. */
export function sameEntry(a: EntryMeta, b: EntryMeta): boolean {
  return encodeEntry(a).equals(encodeEntry(b));
}

export class TreeDigester {
  private readonly cache: ContentCache;

  constructor(
    private readonly root: Buffer,
    private readonly options: DigestOptions = {},
  ) {
    this.cache = options.cache ?? ContentCache.inMemory();
  }

  /**
   * Digests of `dir` and every directory below it, by path. A walk of the whole tree also
   * drops the cached hashes of files gone and saves the cache (when it has a file).
   */
  async tree(dir: RelPath): Promise<Map<RelPath, Buffer>> {
    const out = new Map<RelPath, Buffer>();
    if (dir !== '') {
      await this.digestDir(dir, out);
      return out;
    }
    this.cache.beginSweep();
    try {
      await this.digestDir(dir, out);
    } finally {
      this.cache.endSweep();
    }
    await this.cache.save();
    return out;
  }

  /**
   * The entries of `dir` in byte order of names (replicator temporaries, excluded paths and
   * special files left out). Child directories' digests come from `digests` when given.
   */
  async list(dir: RelPath, digests?: Map<RelPath, Buffer>): Promise<EntryMeta[]> {
    let names: Buffer[];
    try {
      names = (await readdir(absolute(this.root, dir), { encoding: 'buffer' })) as Buffer[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
    names.sort(Buffer.compare);
    const paths: RelPath[] = [];
    for (const bytes of names) {
      const name = relFromBytes(bytes);
      const path = joinRel(dir, name);
      if (!isReplicatorName(name) && !this.options.exclude?.(path)) paths.push(path);
    }
    // In name order, DESCRIBE_PARALLEL at a time.
    const entries: (EntryMeta | undefined)[] = new Array(paths.length);
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const i = next++;
        entries[i] = await this.describe(paths[i]!, digests);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_PARALLEL, paths.length) }, worker));
    return entries.filter((e): e is EntryMeta => e !== undefined);
  }

  /** One entry (undefined when it does not exist or is a special file). */
  async describe(path: RelPath, digests?: Map<RelPath, Buffer>): Promise<EntryMeta | undefined> {
    const full = absolute(this.root, path);
    let st;
    try {
      st = await lstat(full, { bigint: true });
    } catch {
      return undefined; // vanished since readdir
    }
    const name = path.slice(path.lastIndexOf('/') + 1);
    const base = { name, uid: Number(st.uid), gid: Number(st.gid) };
    if (st.isDirectory()) {
      const digest = digests?.get(path) ?? (await this.digestDir(path, new Map()));
      return { ...base, type: 'dir', mode: Number(st.mode & 0o7777n), size: 0n, mtimeNs: 0n, digest };
    }
    if (st.isSymbolicLink()) {
      let target: Buffer;
      try {
        target = (await readlink(full, { encoding: 'buffer' })) as Buffer;
      } catch {
        return undefined;
      }
      return { ...base, type: 'symlink', mode: 0, size: 0n, mtimeNs: st.mtimeNs, digest: sha256(target) };
    }
    if (!st.isFile()) return undefined;
    // One entry per path, replaced when the file changes; a full walk drops removed names.
    const stamp = stampOf(st);
    let digest = this.cache.get(path, stamp);
    if (digest === undefined) {
      const hashedAtNs = BigInt(Date.now()) * 1_000_000n;
      try {
        digest = await this.hash(full, st.size);
        this.cache.set(path, stamp, st.ctimeNs, hashedAtNs, digest);
      } catch {
        digest = UNREADABLE;
      }
    }
    return { ...base, type: 'file', mode: Number(st.mode & 0o7777n), size: st.size, mtimeNs: st.mtimeNs, digest };
  }

  private async hash(full: Buffer, size: bigint): Promise<Buffer> {
    const read = this.options.readSmallFile;
    if (read === undefined || size > BigInt(SMALL_FILE)) return hashFile(full);
    const { data } = await read(full, SMALL_FILE);
    return data === undefined ? hashFile(full) : sha256(data);
  }

  private async digestDir(dir: RelPath, out: Map<RelPath, Buffer>): Promise<Buffer> {
    let entries: Dirent[];
    try {
      entries = (await readdir(absolute(this.root, dir), { encoding: 'buffer', withFileTypes: true })) as unknown as Dirent[];
    } catch {
      entries = [];
    }
    // Child directories first, so list() finds their digests in `out` (the dirent's type saves an lstat).
    for (const entry of entries) {
      const name = relFromBytes(entry.name as unknown as Buffer);
      const path = joinRel(dir, name);
      if (isReplicatorName(name) || this.options.exclude?.(path)) continue;
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() || entry.isFile() ? false : (await lstat(absolute(this.root, path)).catch(() => undefined))?.isDirectory());
      if (isDir) await this.digestDir(path, out);
    }
    const digest = digestOfEntries(await this.list(dir, out));
    out.set(dir, digest);
    return digest;
  }
}
