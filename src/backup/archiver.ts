/**
 * `backup run`: walks the given paths, chunks files with the repository's polynomial, stores new
 * blobs and one tree per directory, then the index and the snapshot (design.rst, "Read and Write
 * Ordering"). Like restic, the snapshot's tree holds each path as given (an absolute path with
 * its parent directories); a file unchanged since the parent snapshot (same type, size, mtime, ctime and
 * inode) keeps the parent's content list without being read.
 */
import { closeSync, constants, lstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join, normalize, resolve } from 'node:path';
import { Chunker, MIN_SIZE } from './repo/chunker.js';
import { goTimeNow, type GoTime } from './repo/go-json.js';
import type { Id } from './repo/id.js';
import type { Repository } from './repo/repository.js';
import { whoAmI } from './repo/repository.js';
import { bytesToName, fsPath, nameToBytes } from './repo/names.js';
import { encodeSnapshot, type Snapshot } from './repo/snapshot.js';
import { compareNames, decodeTree, encodeTree, sameNodeEncoding, type TreeNode } from './repo/tree.js';
import { findSnapshot } from './snapshots.js';
import { forEachLimit } from './concurrency.js';
import { excludedBy, parsePattern, type Pattern } from './verbs/pattern.js';
import { adoptUnindexedPacks } from './verbs/resume.js';
import { ReadBuffers } from './read-buffers.js';
import { nodeOf, parseScanDetails, statEntry, type EntryStat } from './scan-nodes.js';
import { ChunkPool, defaultChunkWorkers } from './chunk-pool.js';
import { backupNative, type BackupNative } from './native.js';
import { readingSource, skippedEntry, SourceReadError, type SkippedEntry } from './source-errors.js';
import { BATCH_BUFFER_BYTES, BATCH_FILE_MAX, packNames, parseBatch, planBatches, type BatchFile, type HashFilesInto } from './small-file-batches.js';

export interface BackupOptions {
  paths: string[];
  tags?: string[];
  /** A snapshot to compare with; default: the latest with the same paths and host. 'none' for none. */
  parent?: Id | 'none';
  hostname?: string;
  programVersion?: string;
  time?: GoTime;
  /** Record access times (restic's --with-atime); by default atime is recorded as mtime. */
  withAtime?: boolean;
  /** restic's --exclude patterns (verbs/pattern.ts), matched against absolute paths. */
  excludes?: string[];
  /** Counters to update as the backup goes (a progress display reads them). */
  stats?: BackupStats;
  /**
   * Threads that read, chunk and hash files larger than INLINE_MAX (chunk-pool.ts; default: the
   * cores but one, at least 1, at most 4). 0: the main thread does it all (the way before the pool, for comparison
   * and tests).
   */
  chunkWorkers?: number;
  /** A pool to chunk with instead of one of chunkWorkers threads (tests); the caller closes it. */
  chunkPool?: ChunkPool;
  /** Told of each entry left out because it was removed while the backup walked (as restic warns). */
  warn?: (message: string) => void;
  /**
   * Told of each entry left out because it could not be read (a directory that cannot be listed,
   * a file that cannot be opened or fails mid-read), as restic reports "error: …" and goes on.
   * The result's `errors` lists them too.
   */
  readError?: (err: SourceReadError) => void;
}

export interface BackupStats {
  files: number;
  dirs: number;
  others: number;
  unchangedFiles: number;
  /** Directories whose tree is the parent snapshot's, unchanged (not counting the paths' parents). */
  unchangedDirs: number;
  bytesRead: number;
  blobsSaved: number;
  bytesStored: number;
}

export interface BackupResult {
  id: Id;
  snapshot: Snapshot;
  stats: BackupStats;
  /** Entries left out because they could not be read: the snapshot lacks them (restic's exit code 3). */
  errors: SkippedEntry[];
}

/**
 * Large files are read this much at a time. Each read is a buffer of its own (the chunks cut from
 * it are handed on without a copy); 1 MiB rather than 4 cut the peak memory of a backup of large
 * files by some 25 MB at the same CPU time (measured on the bench's mixed set).
 */
const READ_SIZE = 1024 * 1024;
/**
 * Files up to this size (by lstat) are read whole, in one go: they are one chunk (the chunker
 * never cuts before MIN_SIZE). With the addon, in one thread-pool job each (open, fstat, read,
 * close), so that ENTRY_CONCURRENCY files are read at once: one synchronous read after another
 * waited for the disk 100,000 times in a row (65 % of a first backup of 100,000 small files with
 * a cold cache); node's own asynchronous open/read/close cost more CPU than the reads themselves
 * (20,000 files of 2 KiB: 6.2 s of CPU). Without the addon, synchronously. Larger files are
 * streamed asynchronously.
 */
const SYNC_READ_MAX = MIN_SIZE;
/**
 * Files larger than SYNC_READ_MAX read at once (restic reads two): each holds a read
 * buffer and chunks being cut from it, and more at once only adds memory, not speed.
 */
const LARGE_FILES_AT_ONCE = 2;
/** Files of one directory stored at once. */
const ENTRY_CONCURRENCY = 8;
/**
 * Batches of a directory's small files read at once (small-file-batches.ts): with the scans
 * ahead (DIRS_AHEAD), enough to keep libuv's four threads busy.
 */
const BATCHES_AT_ONCE = 3;
/**
 * Subdirectories of one directory scanned ahead of the one being stored (saveDir). Each scan is
 * one job of libuv's pool (4 threads, which the small files' reads share).
 */
const DIRS_AHEAD = 3;
/**
 * Files shorter than this (by lstat) are read into a reused buffer (read-buffers.ts); one per
 * file being stored, ENTRY_CONCURRENCY at most, so some 0.5 MB in all.
 */
const REUSED_READ_SIZE = 64 * 1024;
/**
 * Files larger than this go to the chunk pool when there is one (chunk-pool.ts); smaller ones are
 * read, hashed and queued on the main thread (one chunk each: the chunker has nothing to do).
 * Measured on 256 MiB of the bench's mixed set, cold cache, load 8–9: sending every file to the
 * pool cut the main thread's busy time from 3.3–4.1 s to 2.2–3.5 s but cost 0.5–0.9 s more CPU
 * and 0.9–1.9 s more wall time (a message each way per small file) than keeping these inline.
 */
const INLINE_MAX = SYNC_READ_MAX;

/** An entry of a directory listing; `st` when the addon's scan gave it, else lstat later. */
interface ListedEntry {
  name: string;
  st?: EntryStat;
}

interface PreparedDir {
  entries: ListedEntry[];
  parent: Map<string, TreeNode>;
}

interface Target {
  /** Where this entry is on the filesystem (relative paths stay relative, as given). */
  realPath: string;
  children: Map<string, Target>;
  /** Back up everything below (a path the user gave). */
  whole: boolean;
}

class NameTable {
  private users?: Map<number, string>;
  private groups?: Map<number, string>;

  private static parse(path: string): Map<number, string> {
    const m = new Map<number, string>();
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // no names: uid and gid only
    }
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && /^\d+$/.test(f[2]!) && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]!);
    }
    return m;
  }

  user(uid: number): string | undefined {
    this.users ??= NameTable.parse('/etc/passwd');
    return this.users.get(uid);
  }

  group(gid: number): string | undefined {
    this.groups ??= NameTable.parse('/etc/group');
    return this.groups.get(gid);
  }
}

export function newBackupStats(): BackupStats {
  return { files: 0, dirs: 0, others: 0, unchangedFiles: 0, unchangedDirs: 0, bytesRead: 0, blobsSaved: 0, bytesStored: 0 };
}

type SmallFileReader = NonNullable<BackupNative['readSmallFile']>;

function smallFileReader(): SmallFileReader | undefined {
  const native = backupNative();
  return native?.readSmallFile?.bind(native);
}

function batchReader(): HashFilesInto | undefined {
  const native = backupNative();
  return native?.hashFiles?.bind(native);
}

type DirectoryScanner = NonNullable<BackupNative['scanDirectory']>;

function directoryScanner(): DirectoryScanner | undefined {
  const native = backupNative();
  return native?.scanDirectory?.bind(native);
}

/** Matches no node (a name missing from the parent's tree). */
const NO_NODE: TreeNode = { name: '\0', type: 'irregular', mode: 0, mtime: { sec: 0, nsec: 0, offsetMinutes: 0 }, atime: { sec: 0, nsec: 0, offsetMinutes: 0 }, ctime: { sec: 0, nsec: 0, offsetMinutes: 0 }, uid: 0, gid: 0, content: null };

export class Archiver {
  private readonly names = new NameTable();
  /** Large files being read, and those waiting their turn. */
  private largeFiles = 0;
  private readonly largeFileQueue: (() => void)[] = [];
  private readonly excludes: Pattern[];
  private readonly readBuffers = new ReadBuffers(REUSED_READ_SIZE, ENTRY_CONCURRENCY);
  /**
   * Small files read in the thread pool, one job each (native/small-files.cc), so that
   * ENTRY_CONCURRENCY of them are read at once; without the addon, synchronously one by one.
   */
  private readonly readSmallAsync = smallFileReader();
  /** A directory's entries with lstat, readlink and xattrs in one thread-pool job (scan-nodes.ts). */
  private readonly scanDirectory = directoryScanner();
  /** Small files read and hashed a batch per thread-pool job (small-file-batches.ts), into these buffers. */
  private readonly hashFilesInto = batchReader();
  private readonly batchBuffers = new ReadBuffers(BATCH_BUFFER_BYTES, BATCHES_AT_ONCE);
  /** Entries left out because they could not be read. */
  readonly errors: SkippedEntry[] = [];

  constructor(
    private readonly repo: Repository,
    private readonly withAtime = false,
    excludes: readonly string[] = [],
    readonly stats: BackupStats = newBackupStats(),
    /** Chunks larger files in threads (chunk-pool.ts); without it, this thread does. */
    private readonly chunks?: ChunkPool,
    private readonly warn: (message: string) => void = () => undefined,
    private readonly readError: (err: SourceReadError) => void = () => undefined,
  ) {
    this.excludes = excludes.map(parsePattern);
  }

  /** The node for `path` from lstat on this thread, without content or subtree (the paths given). */
  private statNode(path: string, name: string): TreeNode {
    return nodeOf(name, statEntry(path), this.names, this.withAtime);
  }

  private async loadParentTree(id: Id | undefined): Promise<Map<string, TreeNode>> {
    const m = new Map<string, TreeNode>();
    if (id === undefined) return m;
    try {
      for (const n of decodeTree(await this.repo.loadBlob('tree', id))) m.set(n.name, n);
    } catch {
      // A parent we cannot read only costs re-reading the files.
    }
    return m;
  }

  private unchanged(node: TreeNode, old: TreeNode | undefined): boolean {
    if (!old || old.type !== 'file' || node.type !== 'file' || old.content === null) return false;
    const same = (a: GoTime, b: GoTime) => a.sec === b.sec && a.nsec === b.nsec;
    if (!same(node.mtime, old.mtime) || !same(node.ctime, old.ctime)) return false;
    if ((node.size ?? 0) !== (old.size ?? 0) || (node.inode ?? 0) !== (old.inode ?? 0)) return false;
    return old.content.every((id) => this.repo.has('data', id));
  }

  /**
   * Stores a file's chunks; returns its content list and the bytes it read. `expectedSize` (from
   * lstat) sizes the first read, so that a small file costs a small buffer and one read: a short
   * read from a regular file is its end.
   */
  async saveFile(path: string, expectedSize = READ_SIZE, noFollow = false): Promise<{ content: Id[]; size: number }> {
    if (this.chunks && expectedSize > INLINE_MAX) return this.chunkInPool(path, expectedSize);
    if (expectedSize <= SYNC_READ_MAX && this.readSmallAsync) {
      const small = await this.saveSmallRead(this.readSmallAsync, path, expectedSize);
      if (small) return small;
      // It grew past SYNC_READ_MAX since lstat: streamed like a large file.
    } else if (expectedSize <= SYNC_READ_MAX) {
      const scratch = expectedSize < REUSED_READ_SIZE ? this.readBuffers.take() : undefined;
      try {
        const small = await readingSource(path, () => this.readSmallFile(path, expectedSize, scratch, noFollow));
        // Once queued, the repository has sealed or copied the bytes: the buffer is free again.
        if (small) return await this.saveSmall(small);
      } finally {
        if (scratch) this.readBuffers.give(scratch);
      }
      // It grew past SYNC_READ_MAX since lstat: streamed like a large file.
    }
    // The pool bounds the files read at once itself (one per thread).
    if (this.chunks) return this.chunkInPool(path, expectedSize);
    if (this.largeFiles >= LARGE_FILES_AT_ONCE) await new Promise<void>((resolve) => this.largeFileQueue.push(resolve));
    else this.largeFiles++;
    try {
      return await this.saveStream(readPieces(path, expectedSize, noFollow));
    } finally {
      const next = this.largeFileQueue.shift();
      if (next) next(); // the turn passes on; the count stays
      else this.largeFiles--;
    }
  }

  /**
   * A file lstat found at most SYNC_READ_MAX long, read in the thread pool (into a reused buffer
   * when it fits) and stored; undefined when it is no longer a regular file of at most that.
   */
  private async saveSmallRead(read: SmallFileReader, path: string, expectedSize: number): Promise<{ content: Id[]; size: number } | undefined> {
    const p = fsPath(path);
    if (expectedSize < REUSED_READ_SIZE - 1) {
      const scratch = this.readBuffers.take();
      try {
        const r = await readingSource(path, () => read(p, scratch.length - 1, scratch));
        // Once queued, the repository has sealed or copied the bytes: the buffer is free again.
        if (r.length !== undefined) return await this.saveSmall(scratch.subarray(0, r.length));
        if (r.data) return await this.saveSmall(r.data);
        if (r.type !== 'file') return undefined;
      } finally {
        this.readBuffers.give(scratch);
      }
      // It grew past the buffer since lstat: read again, whole.
    }
    const { data } = await readingSource(path, () => read(p, SYNC_READ_MAX));
    return data ? this.saveSmall(data) : undefined;
  }

  /** A small file's whole content stored as its one chunk. */
  private async saveSmall(data: Buffer): Promise<{ content: Id[]; size: number }> {
    this.stats.bytesRead += data.length;
    if (data.length === 0) return { content: [], size: 0 };
    return { content: [await this.queue('data', data)], size: data.length };
  }

  /**
   * A file read, chunked and hashed by a thread of the chunk pool; this thread only looks each
   * chunk's id up and hands the new ones on to be sealed (the views of the thread's reads are
   * copied for the sealing threads, as saveStream's are).
   */
  private async chunkInPool(path: string, expectedSize: number): Promise<{ content: Id[]; size: number }> {
    const content: Id[] = [];
    const size = await this.chunks!.chunkFile(fsPath(path), path, expectedSize, async (parts, id) => {
      for (const p of parts) this.stats.bytesRead += p.length;
      content.push(await this.queue('data', parts.length === 1 ? parts[0]! : parts, id));
    });
    return { content, size };
  }

  /**
   * Stores a stream's chunks (a file read piece by piece, or standard input whatever it is: a
   * file, a pipe, a socket or a terminal); returns its content list and its length. The pieces
   * are kept, not copied: a chunk inside one piece is a view of it.
   */
  async saveStream(source: AsyncIterable<Uint8Array>): Promise<{ content: Id[]; size: number }> {
    const content: Id[] = [];
    let size = 0;
    const chunker = new Chunker(this.repo.chunker);
    let pieces: Uint8Array[] = [];
    // The repository seals chunks in the background (its memory bound holds back the reads).
    const emit = async (parts: Uint8Array[]) => content.push(await this.queue('data', parts.length === 1 ? parts[0]! : parts));
    for await (const data of source) {
      this.stats.bytesRead += data.length;
      size += data.length;
      let start = 0;
      for (;;) {
        const cut = chunker.nextSplit(data, start);
        if (cut < 0) break;
        pieces.push(data.subarray(start, cut));
        await emit(pieces);
        pieces = [];
        start = cut;
      }
      if (start < data.length) pieces.push(data.subarray(start));
    }
    if (pieces.length > 0) await emit(pieces);
    return { content, size };
  }

  /** Hands a blob to the repository (sealed and packed in the background); its id. */
  private async queue(type: 'data' | 'tree', blob: Uint8Array | readonly Uint8Array[], knownId?: Id): Promise<Id> {
    const r = await this.repo.queueBlob(type, blob, (stored) => {
      this.stats.blobsSaved++;
      this.stats.bytesStored += stored;
    }, knownId);
    return r.id;
  }

  /**
   * The whole content of a file lstat found at most SYNC_READ_MAX bytes long, read synchronously
   * (into `scratch` when given and it fits); undefined when it has grown past that meanwhile. A
   * short read is the file's end.
   */
  private readSmallFile(path: string, expectedSize: number, scratch: Buffer | undefined, noFollow: boolean): Buffer | undefined {
    const fd = openSync(fsPath(path), readFlags(noFollow));
    try {
      let buf = scratch && scratch.length > expectedSize ? scratch : Buffer.allocUnsafe(expectedSize + 1);
      let size = 0;
      for (;;) {
        if (size === buf.length) {
          if (size > SYNC_READ_MAX) return undefined;
          const grown = Buffer.allocUnsafe(Math.min(SYNC_READ_MAX + 1, 2 * size));
          buf.copy(grown, 0, 0, size);
          buf = grown;
        }
        const n = readSync(fd, buf, size, buf.length - size, null);
        if (n === 0) break;
        size += n;
        if (size < buf.length && size >= expectedSize) break; // a short read at lstat's size: the end
      }
      return buf.subarray(0, size);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A directory's entries sorted by name, with their lstat when the addon gave them (one job per
   * directory, native/scan-dir.cc), and its tree in the parent snapshot. Started ahead of its
   * turn (saveDir), so a rejection is handled here and seen when saveDir awaits it.
   */
  private prepareDir(path: string, parentTree: Id | undefined): Promise<PreparedDir> {
    const prepared = Promise.all([this.listDir(path), this.loadParentTree(parentTree)]).then(([entries, parent]) => ({ entries, parent }));
    prepared.catch(() => undefined);
    return prepared;
  }

  private async listDir(path: string): Promise<ListedEntry[]> {
    const listed: ListedEntry[] = await readingSource(path, async () =>
      this.scanDirectory
        ? parseScanDetails(await this.scanDirectory(fsPath(path), true))
        : (await readdir(fsPath(path), { encoding: 'buffer' })).map((b) => ({ name: bytesToName(b) })),
    );
    return listed.sort((x, y) => compareNames(x.name, y.name));
  }

  /**
   * Stores the directory at `path` recursively; returns its tree id. Its files are stored
   * ENTRY_CONCURRENCY at a time (the tree keeps name order); its subdirectories one after the
   * other, so memory follows the depth, while the next DIRS_AHEAD of them are scanned (and their
   * parent trees loaded) in the thread pool: a cold disk's latency overlaps, as restic's
   * several directory walkers overlap it.
   */
  async saveDir(path: string, parentTree: Id | undefined, prepared = this.prepareDir(path, parentTree)): Promise<Id> {
    const { entries, parent } = await prepared;
    const slots: (TreeNode | undefined)[] = new Array(entries.length);
    const dirs: number[] = [];
    const ahead = new Map<number, Promise<PreparedDir>>();
    const prepareAhead = (k: number) => {
      for (let j = k; j < Math.min(dirs.length, k + DIRS_AHEAD); j++) {
        if (ahead.has(j)) continue;
        const i = dirs[j]!;
        const old = parent.get(entries[i]!.name);
        ahead.set(j, this.prepareDir(join(path, entries[i]!.name), old?.type === 'dir' ? old.subtree : undefined));
      }
    };
    for (let i = 0; i < entries.length; i++) {
      const { name, st } = entries[i]!;
      if (this.excludes.length && excludedBy(this.excludes, resolve(join(path, name)))) continue;
      let node: TreeNode;
      try {
        node = nodeOf(name, st ?? statEntry(join(path, name)), this.names, this.withAtime);
      } catch (err) {
        if (!this.leftOut(err, join(path, name))) throw err;
        continue;
      }
      slots[i] = node;
      if (node.type === 'dir') dirs.push(i);
    }
    prepareAhead(0);
    // Unchanged files take their content from the parent snapshot here, once; small files that
    // need reading go in batches (small-file-batches.ts), the rest one by one, both at once; the
    // first failure is thrown once both are done, as forEachLimit does.
    const batched: number[] = [];
    const single: number[] = [];
    slots.forEach((n, i) => {
      if (n === undefined || n.type === 'dir' || this.reuseUnchanged(n, parent.get(entries[i]!.name))) return;
      if (this.hashFilesInto && n.type === 'file' && (n.size ?? 0) <= BATCH_FILE_MAX) batched.push(i);
      else single.push(i);
    });
    const stored = await Promise.allSettled([
      this.storeBatched(path, entries, slots, parent, batched),
      forEachLimit(single.length, ENTRY_CONCURRENCY, (k) => this.fillEntry(path, entries, slots, parent, single[k]!)),
    ]);
    for (const r of stored) if (r.status === 'rejected') throw r.reason;
    for (let j = 0; j < dirs.length; j++) {
      prepareAhead(j);
      const i = dirs[j]!;
      const name = entries[i]!.name;
      try {
        await this.fill(slots[i]!, join(path, name), parent.get(name), ahead.get(j));
      } catch (err) {
        if (!this.leftOut(err, join(path, name), slots[i])) throw err;
        slots[i] = undefined;
      }
      ahead.delete(j); // its listing is no longer held
    }
    const nodes = slots.filter((n): n is TreeNode => n !== undefined);
    const id = await this.saveTreeOrReuse(nodes, parentTree, parent);
    if (id === parentTree) this.stats.unchangedDirs++;
    return id;
  }

  /**
   * The id of a directory's tree: the parent snapshot's when every entry would be encoded as it
   * is there (same names, metadata, content lists and subtree ids: nothing below changed either,
   * since a changed subdirectory has a new subtree id), else the id of the tree stored now. The
   * reuse saves encoding and hashing every unchanged directory's tree, which was a third of an
   * unchanged re-run of many small files; the id is the one encoding would give for a tree
   * hotstandby wrote, and for one restic wrote it is restic's own tree (restic, whose archiver
   * compares files, not directories, re-encodes and stores the same bytes).
   */
  private async saveTreeOrReuse(nodes: TreeNode[], parentTree: Id | undefined, parent: Map<string, TreeNode>): Promise<Id> {
    if (parentTree !== undefined && nodes.length === parent.size && nodes.every((n) => sameNodeEncoding(n, parent.get(n.name) ?? NO_NODE)) && this.repo.has('tree', parentTree)) {
      return parentTree;
    }
    return this.saveTree(nodes);
  }

  /** Stores entry i of a directory (not a subdirectory) the ordinary way, one file at a time. */
  private async fillEntry(path: string, entries: readonly ListedEntry[], slots: (TreeNode | undefined)[], parent: Map<string, TreeNode>, i: number): Promise<void> {
    const child = join(path, entries[i]!.name);
    try {
      await this.fill(slots[i]!, child, parent.get(entries[i]!.name));
    } catch (err) {
      // Gone between the scan and the read (the scan runs ahead of the reads), or unreadable:
      // left out, as restic leaves it out, rather than failing the whole backup. Chunks of a
      // file that failed mid-read may be stored; no tree names them (prune removes them).
      if (!this.leftOut(err, child, slots[i])) throw err;
      slots[i] = undefined;
    }
  }

  /** A file unchanged since the parent snapshot takes its content list from there (counted); false for any other entry. */
  private reuseUnchanged(node: TreeNode, old: TreeNode | undefined): boolean {
    if (node.type !== 'file' || !this.unchanged(node, old)) return false;
    this.stats.files++;
    this.stats.unchangedFiles++;
    node.content = old!.content;
    return true;
  }

  /**
   * Entries `indexes` of a directory (batchable files) read and hashed a batch per thread-pool
   * job, BATCHES_AT_ONCE at a time, and stored; a file a batch could not read whole (or every
   * file of a batch whose job failed) is stored by fillEntry, which reports what is wrong.
   */
  private async storeBatched(path: string, entries: readonly ListedEntry[], slots: (TreeNode | undefined)[], parent: Map<string, TreeNode>, indexes: readonly number[]): Promise<void> {
    const batches = planBatches(indexes.map((i) => slots[i]!.size ?? 0));
    const dir = fsPath(path);
    await forEachLimit(batches.length, BATCHES_AT_ONCE, async (b) => {
      const members = batches[b]!.map((k) => indexes[k]!);
      // Given back once every file of the batch is queued: the repository has copied or sealed them.
      const buffer = this.batchBuffers.take();
      try {
        await this.storeBatch(path, dir, entries, slots, parent, members, buffer);
      } finally {
        this.batchBuffers.give(buffer);
      }
    });
  }

  /** One batch of storeBatched, read into `buffer`. */
  private async storeBatch(path: string, dir: string | Buffer, entries: readonly ListedEntry[], slots: (TreeNode | undefined)[], parent: Map<string, TreeNode>, members: readonly number[], buffer: Buffer): Promise<void> {
    let files: BatchFile[] | undefined;
    try {
      const names = packNames(members.map((i) => nameToBytes(entries[i]!.name)));
      const used = await this.hashFilesInto!(dir, names, BATCH_FILE_MAX, buffer);
      files = parseBatch(buffer.subarray(0, used), members.length);
    } catch {
      files = undefined; // the directory unreadable or gone, or an addon of another shape: one by one
    }
    for (let k = 0; k < members.length; k++) {
      const i = members[k]!;
      const file = files?.[k];
      if (file?.ok !== true) {
        await this.fillEntry(path, entries, slots, parent, i);
        continue;
      }
      const node = slots[i]!;
      this.stats.files++;
      this.stats.bytesRead += file.data.length;
      // The size is what was read, as saveFile does; the job checked it matched its fstat.
      node.content = file.data.length === 0 ? [] : [await this.queue('data', file.data, file.id)];
      node.size = file.data.length;
    }
  }

  /** Stores an entry's content or subtree (`prepared`: a directory's listing started ahead). */
  private async fill(node: TreeNode, path: string, old: TreeNode | undefined, prepared?: Promise<PreparedDir>): Promise<void> {
    if (node.type === 'dir') {
      this.stats.dirs++;
      node.subtree = await this.saveDir(path, old?.type === 'dir' ? old.subtree : undefined, prepared);
    } else if (node.type === 'file') {
      if (!this.reuseUnchanged(node, old)) {
        this.stats.files++;
        // The size is what was read: a file that grew or shrank meanwhile stays consistent
        // (restic's check compares the size with the content's length).
        const { content, size } = await this.saveFile(path, node.size ?? 0, true);
        node.content = content;
        node.size = size;
      }
    } else {
      this.stats.others++;
    }
  }

  /**
   * Whether the entry at `path` is left out of its tree for `err`: removed while the walk went on
   * (a warning), or unreadable (an error, kept in `errors`). Any other error (the repository's,
   * the backend's) fails the backup. `filled`: the node whose counts fill() already made.
   */
  private leftOut(err: unknown, path: string, filled?: TreeNode): boolean {
    if (removed(err, path)) this.warn(`${path}: removed while the backup walked, left out`);
    else if (err instanceof SourceReadError) {
      this.errors.push(skippedEntry(err));
      this.readError(err);
    } else return false;
    if (filled?.type === 'dir') this.stats.dirs--;
    else if (filled?.type === 'file') this.stats.files--;
    else if (filled) this.stats.others--;
    return true;
  }

  private async saveTree(nodes: TreeNode[]): Promise<Id> {
    return this.queue('tree', encodeTree(nodes));
  }

  /** The tree of a virtual directory holding only the targets below it. */
  async saveTargets(target: Target, parentTree: Id | undefined): Promise<Id> {
    const parent = await this.loadParentTree(parentTree);
    const nodes: TreeNode[] = [];
    for (const name of [...target.children.keys()].sort(compareNames)) {
      const sub = target.children.get(name)!;
      const node = this.statNode(sub.realPath, name);
      const old = parent.get(name);
      if (sub.whole) {
        try {
          await this.fill(node, sub.realPath, old);
        } catch (err) {
          if (!this.leftOut(err, sub.realPath, node)) throw err;
          continue;
        }
      } else if (node.type === 'dir') node.subtree = await this.saveTargets(sub, old?.type === 'dir' ? old.subtree : undefined);
      else throw new Error(`${sub.realPath} is not a directory`);
      nodes.push(node);
    }
    return this.saveTreeOrReuse(nodes, parentTree, parent);
  }
}

/**
 * Whether `err` says `path` was removed while the walk went on: ENOENT, and the path is gone (an
 * ENOENT of something else, the repository's temporary files say, fails the backup as before).
 */
function removed(err: unknown, path: string): boolean {
  if ((err as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') return false;
  try {
    lstatSync(fsPath(path));
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * open(2)'s flags for a file's content. A file of the walk is opened with O_NOFOLLOW: replaced by
 * a symlink since it was scanned, it fails with ELOOP rather than storing the target's bytes under
 * its name (restic opens with O_NOFOLLOW too). The path a stdin backup reads (verbs/stdin.ts)
 * may be a symlink on purpose (/dev/stdin).
 */
function readFlags(noFollow: boolean): number {
  return constants.O_RDONLY | (noFollow ? constants.O_NOFOLLOW : 0);
}

/**
 * A regular file's content, READ_SIZE at a time, each piece a buffer of its own; `expectedSize`
 * (from lstat) sizes the first read, and a short read at or past it is the end of the file.
 */
async function* readPieces(path: string, expectedSize: number, noFollow: boolean): AsyncGenerator<Buffer> {
  const fh = await readingSource(path, () => open(fsPath(path), readFlags(noFollow)));
  try {
    let size = 0;
    let want = Math.min(READ_SIZE, expectedSize + 1);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await readingSource(path, () => fh.read(buf, 0, want, null));
      if (bytesRead === 0) break;
      size += bytesRead;
      yield buf.subarray(0, bytesRead);
      if (bytesRead < want && size >= expectedSize) break; // the end of the file
      want = READ_SIZE;
    }
  } finally {
    await fh.close();
  }
}

/**
 * The virtual tree of the targets, built as restic 0.14 builds it: from each path as given, so an
 * absolute path brings its parent directories ("/srv/www" → srv/www) and a relative one starts at
 * its first component ("src" → src); "." and ".." components are walked but not named; a path
 * with no name left ("." or "..") stands for its entries.
 */
async function targetTree(paths: string[]): Promise<Target> {
  const root: Target = { realPath: '/', children: new Map(), whole: false };
  const expanded: string[] = [];
  for (const p of paths) {
    const cleaned = normalize(p).replace(/(.)\/+$/, '$1');
    if (cleaned.split('/').some((c) => c !== '' && c !== '.' && c !== '..')) expanded.push(cleaned);
    else for (const e of await readdir(fsPath(cleaned), { encoding: 'buffer' })) expanded.push(join(cleaned, bytesToName(e)));
  }
  for (const p of expanded) {
    let t = root;
    let real = p.startsWith('/') ? '/' : '';
    for (const part of p.split('/')) {
      if (part === '') continue;
      real = real === '' ? part : join(real, part);
      if (part === '.' || part === '..') continue;
      let next = t.children.get(part);
      if (!next) {
        next = { realPath: real, children: new Map(), whole: false };
        t.children.set(part, next);
      }
      t = next;
    }
    t.whole = true;
  }
  return root;
}

/** Backs up `options.paths` into `repo` as a new snapshot. */
export async function backup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  if (options.paths.length === 0) throw new RangeError('Nothing to back up: no paths given');
  const workers = options.chunkWorkers ?? defaultChunkWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`Invalid number of chunking threads ${workers}`);
  for (const p of options.paths) await lstat(fsPath(p)); // a missing path fails before anything is written
  if (options.paths.some((p) => resolve(p) === '/')) throw new RangeError('Backing up / as a whole is not supported yet');
  const targets = await targetTree(options.paths);
  let stats: BackupStats;
  let errors: SkippedEntry[];
  // The snapshot names the absolute paths, as restic's backup command does.
  const paths = [...new Set(options.paths.map((p) => resolve(p)))];
  const who = whoAmI();
  const hostname = options.hostname ?? who.hostname;
  await repo.loadIndex();
  await adoptUnindexedPacks(repo); // what an interrupted backup saved is re-used
  let parent: Id | undefined;
  if (options.parent !== 'none') {
    try {
      parent = (await findSnapshot(repo, options.parent ?? 'latest', options.parent ? {} : { hostname, paths })).id;
    } catch (err) {
      if (options.parent) throw err;
    }
  }
  const parentTree = parent ? (await findSnapshot(repo, parent)).snapshot.tree : undefined;
  const pool = options.chunkPool ?? (workers > 0 ? new ChunkPool(repo.config.chunkerPolynomial, { workers }) : undefined);
  let tree: Id;
  try {
    try {
      const archiver = new Archiver(repo, options.withAtime ?? false, options.excludes, options.stats, pool, options.warn, options.readError);
      tree = await archiver.saveTargets(targets, parentTree);
      stats = archiver.stats;
      errors = archiver.errors;
    } finally {
      if (pool !== options.chunkPool) await pool?.close();
    }
    await repo.flush();
  } catch (err) {
    await repo.dropOpenPacks(); // no pack left half-made under a temporary name in the repository
    throw err;
  }
  const snapshot: Snapshot = {
    time: options.time ?? goTimeNow(),
    tree,
    paths,
    hostname,
    username: who.username,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    programVersion: options.programVersion ?? 'hotstandby',
  };
  if (parent) snapshot.parent = parent;
  if (options.tags?.length) snapshot.tags = options.tags;
  if (options.excludes?.length) snapshot.excludes = options.excludes;
  const id = await repo.saveUnpacked('snapshots', encodeSnapshot(snapshot));
  return { id, snapshot, stats, errors };
}

export { MIN_SIZE };
