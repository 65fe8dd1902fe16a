/**
 * Merkle-style digests of a directory tree, so two sides compare an unchanged tree by one hash
 * per directory and descend only into the subtrees that differ. A directory's digest covers, for
 * each entry in byte order of names: the name's bytes, its type, mode, owner, group, and for a file
 * its size, nanosecond mtime and content hash; for a symlink its target and mtime; for a
 * directory its own digest. Directory mtimes are left out: applying any change moves them.
 * Content hashes are cached by (path, device, inode, size, mtime, ctime), kept across restarts
 * when the cache has a file (content-cache.ts), so a rescan of an unchanged tree reads metadata
 * only. A directory's entries and their lstat come from one addon job (native/scan-dir.cc). A hard-linked file adds its group's leader (link-index.ts); with the xattr
 * option, an entry with selected attributes adds their hash (xattrs.ts). Entries with neither
 * encode as before, so trees without links or attributes keep their digests.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { ContentCache, stampOf } from './content-cache.js';
import { HASH_FILES_RECORD_BYTES, HASH_FILES_SHA256_AT, packNames } from '../net/hash-files-wire.js';
import { fileKey, LinkIndex, type FileKey } from './link-index.js';
import { absolute, isReplicatorName, joinRel, relFromBytes, type RelPath } from './paths.js';
import { anySelected, encodeXattrList, NO_XATTRS, readXattrList, type XattrPort, type XattrSelection } from './xattrs.js';

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
  /** A file with other names in the tree: the smallest of its names (link-index.ts). */
  link?: RelPath;
  /** Hash of the selected extended attributes and ACLs (xattrs.ts), when there are any. */
  xattrs?: Buffer;
}

/** An entry as read, before its group's leader (and a directory's digest) is known; `key` for files, `linked` when st_nlink > 1. */
type RawEntry = EntryMeta & { key?: FileKey; linked?: boolean };

export interface DigestOptions {
  exclude?: (path: RelPath) => boolean;
  /** The addon's one-job read of a small file (native/small-files.cc): hashing costs one trip to the thread pool. */
  readSmallFile?: (path: Buffer, limit: number) => Promise<{ data?: Buffer }>;
  /** The addon's xattr calls; without them no attributes are digested. */
  xattrPort?: XattrPort;
  /** The addon's one-job directory scan (native/scan-dir.cc); absent: readdir and an lstat each. */
  scanDirectory?: (path: Buffer) => Promise<Buffer>;
  /** The addon's one-job hashing of a directory's small files (native/hash-files.cc); absent: a read per file. */
  hashFiles?: (dir: Buffer, names: Buffer, limit: number) => Promise<Buffer>;
  /** Content hashes, possibly loaded from disk and shared by the digesters of one tree (content-cache.ts). Only content: attributes and links are read every time. */
  cache?: ContentCache;
}

/** Entries of one directory described at once (their lstat / hash calls overlap). */
const DESCRIBE_PARALLEL = 32;
const SMALL_FILE = 256 * 1024;

const UNREADABLE = Buffer.alloc(32);
const EMPTY = Buffer.alloc(0);
/** Names per hashFiles job: a directory of many files is hashed by several threads of the pool at once. */
const HASH_BATCH = 512;
/** hashFiles records (native/hash-files.cc, src/net/hash-files-wire.ts). */
const HASH_RECORD = HASH_FILES_RECORD_BYTES;

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
  const parts = [fixed, name, entry.digest];
  if (entry.link !== undefined) {
    const link = Buffer.from(entry.link, 'latin1');
    const head = Buffer.alloc(5);
    head.writeUInt8(0x4c, 0); // 'L'
    head.writeUInt32BE(link.length, 1);
    parts.push(head, link);
  }
  if (entry.xattrs !== undefined) parts.push(Buffer.from([0x58]), entry.xattrs); // 'X'
  return Buffer.concat(parts);
}

/** Same attributes (both absent counts as same). */
export function sameXattrs(a: EntryMeta, b: EntryMeta): boolean {
  return a.xattrs === undefined ? b.xattrs === undefined : b.xattrs !== undefined && a.xattrs.equals(b.xattrs);
}

export function digestOfEntries(entries: readonly EntryMeta[]): Buffer {
  return sha256(...entries.map(encodeEntry));
}

/** True when two descriptions of the same name need no transfer. */
export function sameEntry(a: EntryMeta, b: EntryMeta): boolean {
  return encodeEntry(a).equals(encodeEntry(b));
}

export class TreeDigester {
  private readonly contentCache: ContentCache;
  /** Names of multiply-linked files seen by walks and sends (shared with the sender). */
  readonly links: LinkIndex;
  private selection: XattrSelection = NO_XATTRS;

  constructor(
    private readonly root: Buffer,
    private readonly options: DigestOptions = {},
  ) {
    this.links = new LinkIndex(root);
    this.contentCache = options.cache ?? ContentCache.inMemory();
  }

  /** Which attributes entries carry (agreed per connection in hello); none without the port. */
  setXattrSelection(selection: XattrSelection): void {
    this.selection = this.options.xattrPort === undefined ? NO_XATTRS : selection;
  }

  get xattrSelection(): XattrSelection {
    return this.selection;
  }

  /**
   * Digests of `dir` and every directory below it, by path. Directories holding linked files
   * are finished after the walk, once every name of each linked file in the subtree is known.
   */
  async tree(dir: RelPath): Promise<Map<RelPath, Buffer>> {
    if (dir !== '') return this.subtree(dir);
    // A walk of the whole tree drops the cached hashes of files gone, then saves the cache.
    this.contentCache.beginSweep();
    let out: Map<RelPath, Buffer>;
    try {
      out = await this.subtree(dir);
    } finally {
      this.contentCache.endSweep();
    }
    await this.contentCache.save();
    return out;
  }

  private async subtree(dir: RelPath): Promise<Map<RelPath, Buffer>> {
    const out = new Map<RelPath, Buffer>();
    const deferred = new Map<RelPath, RawEntry[]>();
    const fresh = new Map<RelPath, FileKey>();
    await this.collect(dir, out, deferred, fresh);
    this.links.replaceWithin(dir, fresh);
    // Children before parents (the order they were collected in).
    for (const [path, entries] of deferred) out.set(path, digestOfEntries(await this.finish(entries, dir, out, fresh)));
    return out;
  }

  /**
   * The entries of `dir` in byte order of names (replicator temporaries, excluded paths and
   * special files left out). Child directories' digests come from `digests` when given.
   */
  async list(dir: RelPath, digests?: Map<RelPath, Buffer>): Promise<EntryMeta[]> {
    const raw = await this.rawList(dir);
    const fresh = new Map<RelPath, FileKey>();
    for (const entry of raw) if (entry.key !== undefined) fresh.set(joinRel(dir, entry.name), entry.key);
    return this.finish(raw, dir, digests ?? new Map(), fresh);
  }

  /** One entry (undefined when it does not exist or is a special file). */
  async describe(path: RelPath, digests?: Map<RelPath, Buffer>): Promise<EntryMeta | undefined> {
    const raw = await this.describeRaw(path);
    if (raw === undefined) return undefined;
    const dir = path.slice(0, Math.max(0, path.lastIndexOf('/')));
    return (await this.finish([raw], dir, digests ?? new Map(), new Map()))[0];
  }

  /** Fills in leaders and directory digests (a directory not in `digests` is walked now). */
  private async finish(entries: RawEntry[], dir: RelPath, digests: Map<RelPath, Buffer>, fresh: ReadonlyMap<RelPath, FileKey>): Promise<EntryMeta[]> {
    const out: EntryMeta[] = [];
    // Directories first: walking one teaches the index names that may lead a group here.
    for (const entry of entries) {
      const path = joinRel(dir, entry.name);
      if (entry.type === 'dir') entry.digest = digests.get(path) ?? (await this.tree(path)).get(path)!;
    }
    for (const { key, linked, ...entry } of entries) {
      const path = joinRel(dir, entry.name);
      if (key !== undefined && !linked) this.links.observe(path, key);
      else if (key !== undefined) {
        const leader = await this.links.leader(path, key, fresh);
        if (leader !== undefined) entry.link = leader;
      }
      out.push(entry);
    }
    return out;
  }

  private async rawList(dir: RelPath): Promise<RawEntry[]> {
    let scanned: Scanned[];
    try {
      scanned = await this.scan(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
    return this.describeScanned(dir, scanned);
  }

  /** Entries of one scan of `dir` in byte order of names, DESCRIBE_PARALLEL described at a time. */
  private async describeScanned(dir: RelPath, scanned: Scanned[]): Promise<RawEntry[]> {
    // Names are byte strings (latin1): comparing char codes is comparing bytes.
    scanned.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const kept = scanned.filter((e) => !isReplicatorName(e.name) && !this.options.exclude?.(joinRel(dir, e.name)));
    const hashed = await this.contentDigests(dir, kept);
    const entries: (RawEntry | undefined)[] = new Array(kept.length);
    let next = 0;
    const worker = async () => {
      while (next < kept.length) {
        const i = next++;
        entries[i] = await this.describeStat(joinRel(dir, kept[i]!.name), kept[i]!, hashed.get(kept[i]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_PARALLEL, kept.length) }, worker));
    return entries.filter((e): e is RawEntry => e !== undefined);
  }

  /**
   * The content hashes of a scan's small regular files: the cached ones, and the others hashed
   * a batch of names per addon job (several jobs at once) instead of a job per file: after a
   * restart that is every file the cache could not vouch for. A hash is kept for the cache only when the file's stat
   * before and after the read is the scan's (same device, inode, size, ns mtime, ns ctime);
   * otherwise it serves this walk only, as a per-file hash would. Files the job could not hash
   * (changed while read, grown past the limit, no longer regular) are left to describeStat.
   */
  private async contentDigests(dir: RelPath, kept: readonly Scanned[]): Promise<Map<Scanned, Buffer>> {
    const out = new Map<Scanned, Buffer>();
    const hashFiles = this.options.hashFiles;
    if (hashFiles === undefined) return out;
    const misses: Scanned[] = [];
    for (const st of kept) {
      if ((st.mode & S_IFMT) !== S_IFREG || st.size > BigInt(SMALL_FILE)) continue;
      const cached = this.contentCache.get(joinRel(dir, st.name), stampOf(st));
      if (cached !== undefined) out.set(st, cached);
      else misses.push(st);
    }
    if (misses.length === 0) return out;
    const full = absolute(this.root, dir);
    const batches: Scanned[][] = [];
    for (let i = 0; i < misses.length; i += HASH_BATCH) batches.push(misses.slice(i, i + HASH_BATCH));
    await Promise.all(
      batches.map(async (batch) => {
        const names = packNames(batch.map((st) => Buffer.from(st.name, 'latin1')));
        // Wall clock before any read: the racy-clean rule (content-cache.ts) judges the file's ctime against it.
        const hashedAtNs = this.contentCache.wallNs();
        let records: Buffer;
        try {
          records = await hashFiles(full, names, SMALL_FILE);
        } catch {
          return; // the directory went: describeStat finds each file gone on its own
        }
        batch.forEach((st, i) => {
          const o = i * HASH_RECORD;
          const status = records.readInt32BE(o);
          if (status > 0) out.set(st, UNREADABLE);
          if (status !== 0) return;
          const digest = Buffer.from(records.subarray(o + HASH_FILES_SHA256_AT, o + HASH_RECORD));
          out.set(st, digest);
          const read = { size: records.readBigUInt64BE(o + 4), ino: records.readBigUInt64BE(o + 12), dev: records.readBigUInt64BE(o + 20), mtimeNs: records.readBigInt64BE(o + 28), ctimeNs: records.readBigInt64BE(o + 36) };
          const stamp = stampOf(st);
          if (stampOf(read) === stamp) this.contentCache.set(joinRel(dir, st.name), stamp, st.ctimeNs, hashedAtNs, digest);
        });
      }),
    );
    return out;
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
        if (st !== undefined) out[i] = scannedOf(name, st);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_PARALLEL, names.length) }, worker));
    return out.filter((e): e is Scanned => e !== undefined);
  }

  /** The selected attributes' hash, or undefined (none, or not selected). */
  private xattrHash(full: Buffer): Buffer | undefined {
    const port = this.options.xattrPort;
    if (port === undefined || !anySelected(this.selection)) return undefined;
    let list;
    try {
      list = readXattrList(port, full, this.selection);
    } catch {
      return undefined; // vanished meanwhile: its removal is an event of its own
    }
    return list.length === 0 ? undefined : sha256(encodeXattrList(list));
  }

  /** An entry as lstat shows it; a directory's digest is a placeholder until finish(). */
  private async describeRaw(path: RelPath): Promise<RawEntry | undefined> {
    let st;
    try {
      st = await lstat(absolute(this.root, path), { bigint: true });
    } catch {
      return undefined; // vanished since readdir
    }
    return this.describeStat(path, scannedOf(path.slice(path.lastIndexOf('/') + 1), st));
  }

  /** An entry from its lstat (scan or lstat); a directory's digest is a placeholder until finish(). */
  private async describeStat(path: RelPath, st: Scanned, hashed?: Buffer): Promise<RawEntry | undefined> {
    // The absolute path only when something is read by it (a file per walk adds up).
    const full = hashed === undefined || anySelected(this.selection) ? absolute(this.root, path) : EMPTY;
    const xattrs = this.xattrHash(full);
    const base = { name: st.name, uid: st.uid, gid: st.gid, ...(xattrs && { xattrs }) };
    const type = st.mode & S_IFMT;
    if (type === S_IFDIR) {
      return { ...base, type: 'dir', mode: st.mode & 0o7777, size: 0n, mtimeNs: 0n, digest: UNREADABLE };
    }
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
    let digest = hashed;
    if (digest === undefined) {
      const stamp = stampOf(st);
      digest = this.contentCache.get(path, stamp);
      if (digest === undefined) {
        const hashedAtNs = this.contentCache.wallNs();
        try {
          digest = await this.hash(full, st.size);
          this.contentCache.set(path, stamp, st.ctimeNs, hashedAtNs, digest);
        } catch {
          digest = UNREADABLE;
        }
      }
    }
    return { ...base, type: 'file', mode: st.mode & 0o7777, size: st.size, mtimeNs: st.mtimeNs, digest, key: fileKey(st.dev, st.ino), linked: st.nlink > 1n };
  }

  private async hash(full: Buffer, size: bigint): Promise<Buffer> {
    const read = this.options.readSmallFile;
    if (read === undefined || size > BigInt(SMALL_FILE)) return hashFile(full);
    const { data } = await read(full, SMALL_FILE);
    return data === undefined ? hashFile(full) : sha256(data);
  }

  /**
   * Walks `dir`: child directories first; a directory with no linked file below it gets its
   * digest at once, the others wait in `deferred` for the leaders.
   */
  private async collect(dir: RelPath, out: Map<RelPath, Buffer>, deferred: Map<RelPath, RawEntry[]>, fresh: Map<RelPath, FileKey>): Promise<void> {
    let scanned: Scanned[];
    try {
      scanned = await this.scan(dir);
    } catch (err) {
      // Gone meanwhile: empty. Anything else (EACCES) fails the walk, as a listing does.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      scanned = [];
    }
    // One scan serves both the descent and this directory's entries.
    for (const entry of scanned) {
      const path = joinRel(dir, entry.name);
      if ((entry.mode & S_IFMT) !== S_IFDIR || isReplicatorName(entry.name) || this.options.exclude?.(path)) continue;
      await this.collect(path, out, deferred, fresh);
    }
    const raw = await this.describeScanned(dir, scanned);
    let ready = true;
    for (const entry of raw) {
      const path = joinRel(dir, entry.name);
      if (entry.key !== undefined) {
        fresh.set(path, entry.key);
        if (entry.linked) ready = false;
      } else if (entry.type === 'dir') {
        const digest = out.get(path);
        if (digest === undefined) ready = false; // deferred below, or appeared after the walk passed
        else entry.digest = digest;
      }
    }
    if (ready) out.set(dir, digestOfEntries(raw.map(({ key: _key, linked: _linked, ...entry }) => entry)));
    else deferred.set(dir, raw);
  }
}


const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** A directory entry and its lstat (the fields the digests, the links and the cache use). */
interface Scanned {
  name: RelPath;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  ino: bigint;
  dev: bigint;
  nlink: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

function scannedOf(name: RelPath, st: import('node:fs').BigIntStats): Scanned {
  return { name, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), size: st.size, ino: st.ino, dev: st.dev, nlink: st.nlink, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
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
      nlink: bytes.readBigUInt64BE(o + 36),
      mtimeNs: bytes.readBigInt64BE(o + 44),
      ctimeNs: bytes.readBigInt64BE(o + 52),
    });
    o += 60;
  }
  return out;
}
