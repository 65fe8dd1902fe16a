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
  /** The addon's directory scan with every entry's lstat in one job (native/scan-dir.cc). */
  scanDirectory?: (path: Buffer) => Promise<Buffer>;
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
    let scanned: Scanned[];
    try {
      scanned = await this.scan(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
    return this.describeAll(dir, scanned, digests);
  }

  /** The described entries of `scanned` (all of one directory), in byte order of names. */
  private async describeAll(dir: RelPath, scanned: Scanned[], digests?: Map<RelPath, Buffer>): Promise<EntryMeta[]> {
    // Names are byte strings: comparing their char codes is comparing their bytes.
    scanned.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const kept = scanned.filter((e) => !isReplicatorName(e.name) && !this.options.exclude?.(joinRel(dir, e.name)));
    const entries: (EntryMeta | undefined)[] = new Array(kept.length);
    // Most entries are described at once (a cached hash, a child's digest at hand); hashing and
    // readlink of the others overlap, DESCRIBE_PARALLEL at a time.
    const slow: number[] = [];
    for (let i = 0; i < kept.length; i++) {
      const quick = this.describeCached(joinRel(dir, kept[i]!.name), kept[i]!, digests);
      if (quick === undefined) slow.push(i);
      else entries[i] = quick;
    }
    let next = 0;
    const worker = async () => {
      while (next < slow.length) {
        const i = slow[next++]!;
        entries[i] = await this.describe(joinRel(dir, kept[i]!.name), kept[i]!, digests);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_PARALLEL, slow.length) }, worker));
    return entries.filter((e): e is EntryMeta => e !== undefined);
  }

  /** An entry described without I/O (a file whose hash is cached, a directory whose digest is known), else undefined. */
  private describeCached(path: RelPath, st: Scanned, digests?: Map<RelPath, Buffer>): EntryMeta | undefined {
    const type = st.mode & S_IFMT;
    if (type === S_IFREG) {
      const digest = this.cache.get(path, stampOf(st));
      return digest && { name: st.name, uid: st.uid, gid: st.gid, type: 'file', mode: st.mode & 0o7777, size: st.size, mtimeNs: st.mtimeNs, digest };
    }
    if (type === S_IFDIR) {
      const digest = digests?.get(path);
      return digest && { name: st.name, uid: st.uid, gid: st.gid, type: 'dir', mode: st.mode & 0o7777, size: 0n, mtimeNs: 0n, digest };
    }
    return undefined;
  }

  /** One entry (undefined when it is a special file or vanished). */
  private async describe(path: RelPath, st: Scanned, digests?: Map<RelPath, Buffer>): Promise<EntryMeta | undefined> {
    const base = { name: st.name, uid: st.uid, gid: st.gid };
    const type = st.mode & S_IFMT;
    if (type === S_IFDIR) {
      const digest = digests?.get(path) ?? (await this.digestDir(path, new Map()));
      return { ...base, type: 'dir', mode: st.mode & 0o7777, size: 0n, mtimeNs: 0n, digest };
    }
    const full = absolute(this.root, path);
    if (type === S_IFLNK) {
      let target: Buffer;
      try {
        target = (await readlink(full, { encoding: 'buffer' })) as Buffer;
      } catch {
        return undefined;
      }
      return { ...base, type: 'symlink', mode: 0, size: 0n, mtimeNs: st.mtimeNs, digest: sha256(target) };
    }
    if (type !== S_IFREG) return undefined;
    // One entry per path, replaced when the file changes; a full walk drops removed names.
    const stamp = stampOf(st);
    let digest = this.cache.get(path, stamp);
    if (digest === undefined) {
      const hashedAtNs = this.cache.wallNs();
      try {
        digest = await this.hash(full, st.size);
        this.cache.set(path, stamp, st.ctimeNs, hashedAtNs, digest);
      } catch {
        digest = UNREADABLE;
      }
    }
    return { ...base, type: 'file', mode: st.mode & 0o7777, size: st.size, mtimeNs: st.mtimeNs, digest };
  }

  private async hash(full: Buffer, size: bigint): Promise<Buffer> {
    const read = this.options.readSmallFile;
    if (read === undefined || size > BigInt(SMALL_FILE)) return hashFile(full);
    const { data } = await read(full, SMALL_FILE);
    return data === undefined ? hashFile(full) : sha256(data);
  }

  /** The entries of `dir` with their lstat: one addon job for the directory, else a readdir and an lstat each. */
  private async scan(dir: RelPath): Promise<Scanned[]> {
    const full = absolute(this.root, dir);
    if (this.options.scanDirectory !== undefined) return parseScan(await this.options.scanDirectory(full));
    const names = (await readdir(full, { encoding: 'buffer' })) as Buffer[];
    const out: (Scanned | undefined)[] = new Array(names.length);
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const i = next++;
        const name = relFromBytes(names[i]!);
        const st = await lstat(absolute(this.root, joinRel(dir, name)), { bigint: true }).catch(() => undefined);
        if (st !== undefined) out[i] = { name, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), size: st.size, ino: st.ino, dev: st.dev, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
      }
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_PARALLEL, names.length) }, worker));
    return out.filter((e): e is Scanned => e !== undefined);
  }

  private async digestDir(dir: RelPath, out: Map<RelPath, Buffer>): Promise<Buffer> {
    let scanned: Scanned[];
    try {
      scanned = await this.scan(dir);
    } catch {
      scanned = [];
    }
    // Child directories first, so their digests are in `out` when this one is described.
    for (const entry of scanned) {
      if ((entry.mode & S_IFMT) !== S_IFDIR || isReplicatorName(entry.name)) continue;
      const path = joinRel(dir, entry.name);
      if (!this.options.exclude?.(path)) await this.digestDir(path, out);
    }
    const digest = digestOfEntries(await this.describeAll(dir, scanned, out));
    out.set(dir, digest);
    return digest;
  }
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** A directory entry and its lstat (the fields the digests and the cache use). */
interface Scanned {
  name: RelPath;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  ino: bigint;
  dev: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The addon's scanDirectory records (native/scan-dir.cc). */
function parseScan(bytes: Buffer): Scanned[] {
  const out: Scanned[] = [];
  let o = 0;
  while (o < bytes.length) {
    const length = bytes.readUInt32BE(o);
    const name = bytes.toString('latin1', o + 4, o + 4 + length);
    o += 4 + length;
    out.push({
      name,
      mode: bytes.readUInt32BE(o),
      uid: bytes.readUInt32BE(o + 4),
      gid: bytes.readUInt32BE(o + 8),
      size: bytes.readBigUInt64BE(o + 12),
      ino: bytes.readBigUInt64BE(o + 20),
      dev: bytes.readBigUInt64BE(o + 28),
      mtimeNs: bytes.readBigInt64BE(o + 36),
      ctimeNs: bytes.readBigInt64BE(o + 44),
    });
    o += 52;
  }
  return out;
}
