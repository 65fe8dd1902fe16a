/**
 * Changes applied to the replica directory, each atomically (restic's rule): content goes to a
 * temporary file in the same directory, is fsynced, gets its mode, owner, group and nanosecond
 * mtime, and is renamed over the final name; then the directory is fsynced. A reader of the
 * replica sees the old file or the new one, never a partial one. Large files arrive into a
 * partial file named by a token (path, size, mtime, inode on the source), so a transfer cut by a
 * crash or a lost link resumes where it stopped.
 *
 * Every path is checked to lie inside the replica with no symlink on the way (a symlink in the
 * replica is data, never a way out of it).
 */
import { randomBytes } from 'node:crypto';
import { MAX_BYTES_PER_KEY, type BulkError, type BulkIoPort, type BulkJob } from './bulk-io.js';
import type { BulkTarget } from './bulk-receiver.js';
import { closeSync, createReadStream } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, stat, symlink, chmod, lchown, unlink, type FileHandle } from 'node:fs/promises';
import { BatchCommitter, CommitFailed, type CommitPhases, type OpenTemp, type SyncDataBatch } from './batch-commit.js';
import { DirSyncs, type FsyncPath } from './dir-sync.js';
import { decodeOps } from './delta-ops.js';
import { basisSums, copyRange, CopyBuffers, type DeltaIoPort } from './delta-io.js';
import { openDirect, writePieces, type DirectWritePort } from './direct-data.js';
import { blockSizeFor } from './delta-signature.js';
import { CHECK_NAMES, freshPoly1305Key, poly1305Check, sha256Check, type CheckKind, type ContentCheck, type Poly1305Port } from './content-check.js';
import { absolute, isSafeRel, parentOf, PARTIAL_PREFIX, printable, TEMP_PREFIX, type RelPath } from './paths.js';
import { anySelected, applyXattrList, NO_XATTRS, type XattrList, type XattrPort, type XattrSelection } from './xattrs.js';

export interface FileMeta {
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  /** The source's selected attributes (xattrs.ts); absent: attributes are not replicated. */
  xattrs?: XattrList;
}

/** What the applier needs from the addon. */
export interface FileTimesPort extends DeltaIoPort, DirectWritePort, BulkIoPort, Poly1305Port {
  /** With noFollow (always, here) a symlink's own times are set, not its target's. */
  setFileTimes(path: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number, noFollow: boolean): void;
  /** Durable data for many files at about the cost of one (batch-commit.ts); absent: one fsync each. */
  syncDataBatch?: SyncDataBatch;
  /** syncDataBatch renames in its job too (an addon built from this tree says so). */
  syncDataBatchRenames?: boolean;
  /** A temporary written, owned, moded and timed in one thread-pool job (native/small-files.cc); resolves its fd. */
  writeNewFile?(path: Buffer, data: Buffer, mode: number, uid: number, gid: number, mtimeSec: number, mtimeNsec: number): Promise<number>;
  /** A small file read in one job (for the replica's digests). */
  readSmallFile?(path: Buffer, limit: number): Promise<{ data?: Buffer }>;
  /** A directory and its entries' lstat in one job (native/scan-dir.cc), for the digests. */
  scanDirectory?(path: Buffer): Promise<Buffer>;
  /** A directory's small files hashed in one job (native/hash-files.cc), for the digests. */
  hashFiles?(dir: Buffer, names: Buffer, limit: number): Promise<Buffer>;
  /** fsync(2) of a file or directory by path (default: open, fsync, close through node:fs; tests record it). */
  fsyncPath?: FsyncPath;
  /** Extended attributes (native/xattr.cc); without them attributes are not replicated. */
  listXattrs?: XattrPort['listXattrs'];
  setXattr?: XattrPort['setXattr'];
  removeXattr?: XattrPort['removeXattr'];
}

/** The xattr calls of a port, when it has all three. */
export function xattrPortOf(native: { [K in keyof XattrPort]?: XattrPort[K] }): XattrPort | undefined {
  const { listXattrs, setXattr, removeXattr } = native;
  if (listXattrs === undefined || setXattr === undefined || removeXattr === undefined) return undefined;
  return { listXattrs: listXattrs.bind(native), setXattr: setXattr.bind(native), removeXattr: removeXattr.bind(native) };
}

/** A failure with an errno-style code the source can act on. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

interface Partial {
  path: RelPath;
  temp: Buffer;
  file: FileHandle;
  /** The same file opened O_DIRECT (direct-data.ts): a stream's data goes through it, past the page cache. */
  direct?: FileHandle;
  meta: FileMeta;
  size: bigint;
  written: bigint;
  /** Of the bytes written so far: the content is checked without reading it back (content-check.ts). */
  check: ContentCheck;
  failure?: ApplyError;
  /** Delta transfer: the replica's current copy, held open so it cannot change identity under the patch. */
  basis?: Basis;
  /**
   * Bulk transfer (bulk-receiver.ts): the rest of the file comes on a connection of its own,
   * written by a thread-pool job; settles (never rejects) once the job ended, `written` and
   * `failure` updated. Its bytes are not in `check`: each was authenticated in order by its
   * record (AES-GCM) before it was written, so `check` covers the kept prefix only.
   */
  bulk?: { done: Promise<void>; cancel: () => void };
}

interface Basis {
  file: FileHandle;
  size: number;
  blockSize: number;
}

/** What a delta transfer learns from begin(): the basis's size and the block size of its sums. */
export interface BasisInfo {
  size: number;
  blockSize: number;
}

/** Most sums in one reply (20 bytes each: 1.25 MiB). */
export const MAX_SUMS_PER_PAGE = 65536;

const NS = 1_000_000_000n;

function asApplyError(err: unknown, path: RelPath): ApplyError {
  if (err instanceof ApplyError) return err;
  if (err instanceof CommitFailed) return new ApplyError(`${printable(path)}: ${err.message}`, err.code);
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return new ApplyError(`${printable(path)}: ${(err as Error).message}`, code);
}

export class ReplicaApplier {
  private readonly partials = new Map<string, Partial>();
  /** Partials kept for resuming when their connection closed, by token. */
  private readonly abandoned = new Map<string, Buffer>();
  private rootReal: Buffer | undefined;
  private readonly canChown = process.getuid?.() === 0;
  private readonly dirs: DirSyncs;
  private readonly commits: BatchCommitter;
  /** Split brain: where replaced or removed entries are kept, and how many were. */
  private conflicts: { dir: Buffer; kept: number } | undefined;
  /** Bumped by anything that can replace a directory; parents checked since are trusted. */
  private structure = 0;
  private readonly checkedParents = new Map<RelPath, number>();
  private readonly xattrPort: XattrPort | undefined;
  private selection: XattrSelection = NO_XATTRS;
  private readonly tempPrefix = randomBytes(6).toString('hex');
  /** Delta copies' read buffers (patches are applied one at a time: replica-server.ts). */
  private readonly copyBuffers = new CopyBuffers();
  private tempCounter = 0;

  constructor(
    private readonly root: Buffer,
    private readonly native: FileTimesPort,
    /** Called for each entry kept in the conflict directory. */
    private readonly onConflict?: (path: RelPath) => void,
    /** The replica's filesystem refused attributes (ENOTSUP): the entry is applied without them. */
    private readonly onXattrsRefused?: (path: RelPath, message: string) => void,
    /** Each group commit's phases (batch-commit.ts; benchmarks). */
    onCommitBatch?: (phases: CommitPhases) => void,
  ) {
    this.dirs = new DirSyncs(native.fsyncPath?.bind(native));
    this.commits = new BatchCommitter(
      this.dirs,
      native.syncDataBatch?.bind(native),
      // Asked when each batch goes: while conflicts are kept, install() must move the old version first.
      native.syncDataBatchRenames === true ? () => this.conflicts === undefined : false,
      onCommitBatch,
    );
    this.xattrPort = xattrPortOf(native);
  }

  /** Which attributes this connection replicates (agreed in hello). */
  setXattrSelection(selection: XattrSelection): void {
    this.selection = this.xattrPort === undefined ? NO_XATTRS : selection;
  }

  /**
   * Makes the attributes of `full` the source's (after owner and mode: setting an ACL sets the
   * group bits to its mask, as on the source). A filesystem without xattrs is reported and the
   * entry kept without them, rather than failed over and over. True if any attribute changed.
   */
  private applyAttrs(path: RelPath, full: Buffer, meta: FileMeta): boolean {
    if (meta.xattrs === undefined || this.xattrPort === undefined || !anySelected(this.selection)) return false;
    try {
      return applyXattrList(this.xattrPort, full, meta.xattrs, this.selection);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        this.onXattrsRefused?.(path, `${printable(path)}: the replica's filesystem does not support these extended attributes (${code})`);
        return false;
      }
      throw new ApplyError(`${printable(path)}: cannot set extended attributes: ${(err as Error).message}`, code);
    }
  }

  /**
   * From now on (until called with undefined) every entry this replica would replace or remove
   * is first moved to the same relative path under `dir` (split brain, generations.ts).
   */
  keepConflicts(dir: Buffer | undefined): void {
    this.conflicts = dir === undefined ? undefined : { dir, kept: 0 };
  }

  /** A split-brain resolution is running (keepConflicts(dir) and no full sync since). */
  get inSplitBrain(): boolean {
    return this.conflicts !== undefined;
  }

  /** Mean changes per group commit (batch-commit.ts). */
  get meanCommitBatch(): number {
    return this.commits.meanBatch;
  }

  /** A whole file in one piece (small files). */
  async putWhole(path: RelPath, meta: FileMeta, bytes: Buffer): Promise<void> {
    const dir = await this.parentReady(path);
    const temp = this.tempName(path);
    if (this.native.writeNewFile !== undefined) {
      let fd: number;
      try {
        fd = await this.native.writeNewFile(temp, bytes, meta.mode, this.canChown ? meta.uid : -1, meta.gid, Number(meta.mtimeNs / NS), Number(meta.mtimeNs % NS));
      } catch (err) {
        throw asApplyError(err, path);
      }
      try {
        this.applyAttrs(path, temp, meta);
      } catch (err) {
        closeSync(fd);
        await unlink(temp).catch(() => {});
        throw asApplyError(err, path);
      }
      await this.commit(path, temp, dir, { fd });
      return;
    }
    let file: FileHandle | undefined;
    try {
      file = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
      await file.writeFile(bytes);
      await this.prepareFile(file, temp, meta, path);
    } catch (err) {
      await file?.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw asApplyError(err, path);
    }
    await this.commit(path, temp, dir, { handle: file });
  }

  /**
   * Opens (or reopens) the partial file for `token`; returns how many bytes it already holds.
   * With `wantBasis` (delta transfer) the replica's current regular file at `path`, if any, is
   * opened as the basis the source's copy operations read from. `check` is the source's ask
   * (content-check.ts): Poly1305 is taken for a stream that is not a delta when the addon has
   * it, and the reply's `poly1305Key` says so; otherwise SHA-256.
   */
  async begin(path: RelPath, meta: FileMeta, size: bigint, token: string, wantBasis = false, check: CheckKind = 'sha256'): Promise<{ offset: bigint; basis?: BasisInfo; poly1305Key?: Buffer }> {
    if (!/^[0-9a-f]{32}$/.test(token)) throw new ApplyError(`Token '${token}' is not 32 hex digits`, 'EINVAL');
    await this.parentReady(path);
    const previous = this.partials.get(token);
    if (previous !== undefined) await this.abandon(token, false);
    this.abandoned.delete(token);
    const temp = absolute(this.root, `${parentOf(path) === '' ? '' : `${parentOf(path)}/`}${PARTIAL_PREFIX}${token}`);
    await this.dropOlderPartials(path, token);
    let file: FileHandle | undefined;
    let basis: Basis | undefined;
    try {
      // Read and write: a delta's kernel-side copies are hashed by reading them back (delta-io.ts).
      file = await open(temp, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
      let written = BigInt((await file.stat()).size);
      if (written > size) {
        await file.truncate(0);
        written = 0n;
      }
      basis = wantBasis ? await this.openBasis(path) : undefined;
      const Context = this.native.Poly1305Context;
      // A fresh key per begin, never kept past this transfer (one-time: content-check.ts).
      const poly1305Key = check === 'poly1305' && basis === undefined && Context !== undefined ? freshPoly1305Key() : undefined;
      const digest = poly1305Key === undefined ? sha256Check() : poly1305Check(Context!, poly1305Key);
      // A prefix kept from an earlier attempt is hashed as the disk holds it, under this begin's key.
      if (written > 0n) for await (const chunk of createReadStream(temp, { end: Number(written) - 1 })) digest.update(chunk as Buffer);
      // A delta's output goes through the page cache (its copies are read back to be hashed).
      const direct = basis === undefined ? await openDirect(this.native, temp) : undefined;
      this.partials.set(token, { path, temp, file, meta, size, written, check: digest, ...(basis && { basis }), ...(direct && { direct }) });
      return { offset: written, ...(basis && { basis: { size: basis.size, blockSize: basis.blockSize } }), ...(poly1305Key && { poly1305Key }) };
    } catch (err) {
      // A transfer that did not begin keeps nothing open (the kept prefix could not be read, say).
      await file?.close().catch(() => {});
      await basis?.file.close().catch(() => {});
      throw asApplyError(err, path);
    }
  }

  /** The replica's regular file at `path` opened for reading (never through a symlink); none if absent or empty. */
  private async openBasis(path: RelPath): Promise<Basis | undefined> {
    let file: FileHandle;
    try {
      file = await open(absolute(this.root, path), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch {
      return undefined; // absent, a symlink, unreadable: the whole file is sent
    }
    const st = await file.stat().catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size === 0) {
      await file.close().catch(() => {});
      return undefined;
    }
    return { file, size: st.size, blockSize: blockSizeFor(st.size) };
  }

  /** Weak and strong sums of basis blocks [from, from + n) (delta-signature.ts). */
  async sums(token: string, from: number, n: number): Promise<Buffer> {
    const partial = this.partials.get(token);
    const basis = partial?.basis;
    if (partial === undefined || basis === undefined) throw new ApplyError(`No delta transfer is open for token ${token}`, 'EPROTO');
    const count = Math.ceil(basis.size / basis.blockSize);
    if (n < 1 || n > MAX_SUMS_PER_PAGE || from + n > count) throw new ApplyError(`Sums of blocks ${from}..${from + n} asked, the basis has ${count} (at most ${MAX_SUMS_PER_PAGE} a page)`, 'EINVAL');
    try {
      return await basisSums(this.native, basis.file, basis.size, basis.blockSize, from, n);
    } catch (err) {
      throw asApplyError(err, partial.path);
    }
  }

  /**
   * Appends the output of delta operations (delta-ops.ts) to a partial file: literals as they
   * are, copies read from the basis. A failure is kept and reported by end(), like data().
   */
  async patch(token: string, offset: bigint, payload: Buffer): Promise<void> {
    const partial = this.partials.get(token);
    if (partial === undefined || partial.failure !== undefined) return;
    const fail = (message: string, code: string) => {
      partial.failure = new ApplyError(`${printable(partial.path)}: ${message}`, code);
    };
    if (offset !== partial.written) return fail(`delta at ${offset}, expected ${partial.written}`, 'EPROTO');
    const basis = partial.basis;
    if (basis === undefined) return fail('delta without a basis', 'EPROTO');
    let ops;
    try {
      ops = decodeOps(payload);
    } catch (err) {
      return fail((err as Error).message, 'EPROTO');
    }
    try {
      for (const op of ops) {
        if (partial.written + BigInt(op.kind === 'literal' ? op.bytes.length : op.length) > partial.size) return fail(`delta runs past the size ${partial.size}`, 'EPROTO');
        if (op.kind === 'literal') {
          await this.append(partial, op.bytes);
          continue;
        }
        if (op.from + op.length > basis.size) return fail(`copy of ${op.length} bytes at ${op.from} runs past the basis (${basis.size} bytes)`, 'EPROTO');
        // Kernel-side where the addon can (delta-io.ts: the copied bytes are hashed as the new
        // version holds them, so the whole-file check still covers every byte).
        const copied = await copyRange(this.native, basis.file, op.from, op.length, { file: partial.file, at: Number(partial.written), hash: partial.check }, this.copyBuffers);
        partial.written += BigInt(copied);
        // The basis shrank (changed outside replication): the hash check at the end fails too.
        if (copied < op.length) return fail(`the basis ended at ${op.from + copied} bytes`, 'EBADMSG');
      }
    } catch (err) {
      partial.failure = asApplyError(err, partial.path);
      if (partial.failure.code === 'ENOSPC') await partial.file.truncate(0).catch(() => {});
    }
  }

  /** Writes at the partial's end, hashing while the thread pool writes (both only read `bytes`). */
  private async append(partial: Partial, bytes: Buffer): Promise<void> {
    const writing = partial.file.write(bytes, 0, bytes.length, Number(partial.written));
    partial.check.update(bytes);
    const { bytesWritten } = await writing;
    if (bytesWritten !== bytes.length) throw new ApplyError(`${printable(partial.path)}: ${bytesWritten} of ${bytes.length} bytes written`, 'ENOSPC');
    partial.written += BigInt(bytes.length);
  }

  /**
   * Appends to a partial file; a failure is kept and reported by end(). The data comes as the
   * pieces it arrived in (frames.ts): one writev(2), no copy into one Buffer first.
   */
  async data(token: string, offset: bigint, pieces: Buffer | readonly Buffer[]): Promise<void> {
    const partial = this.partials.get(token);
    if (partial === undefined || partial.failure !== undefined) return;
    if (partial.bulk !== undefined) {
      partial.failure = new ApplyError(`${printable(partial.path)}: data frames for a bulk transfer`, 'EPROTO');
      return;
    }
    if (offset !== partial.written) {
      partial.failure = new ApplyError(`${printable(partial.path)}: data at ${offset}, expected ${partial.written}`, 'EPROTO');
      return;
    }
    const parts = Buffer.isBuffer(pieces) ? [pieces] : pieces;
    const length = parts.reduce((n, part) => n + part.length, 0);
    try {
      // Hashed while the thread pool writes them (both only read the pieces).
      const writing = writePieces(this.native, partial.file, partial.direct, parts, Number(offset));
      for (const part of parts) partial.check.update(part);
      const bytesWritten = await writing;
      // A regular file writes all or fails; a short count is the disk filling up between two of its blocks.
      if (bytesWritten !== length) throw new ApplyError(`${printable(partial.path)}: ${bytesWritten} of ${length} bytes written`, 'ENOSPC');
      partial.written += BigInt(length);
    } catch (err) {
      partial.failure = asApplyError(err, partial.path);
      // A full disk: give the space back at once rather than hold a file that cannot finish.
      if (partial.failure.code === 'ENOSPC') await partial.file.truncate(0).catch(() => {});
    }
  }

  /**
   * Where a bulk transfer's receive job writes the rest of the partial file for `token`;
   * undefined when there is none to offer: no transfer open for it, a delta (a basis), nothing
   * left to write, more than one key may seal. The source uses every offer it gets.
   */
  bulkTarget(token: string): BulkTarget | undefined {
    const partial = this.partials.get(token);
    if (partial === undefined || partial.basis !== undefined || partial.bulk !== undefined || partial.written >= partial.size) return undefined;
    if (partial.size - partial.written > BigInt(MAX_BYTES_PER_KEY)) return undefined; // one key's limit (bulk-io.ts): through TLS
    return { directFd: partial.direct?.fd ?? -1, bufferedFd: partial.file.fd, offset: Number(partial.written), length: Number(partial.size - partial.written) };
  }

  /** The receive job of a bulk transfer (bulk-receiver.ts) writing into `token`'s partial. */
  attachBulk(token: string, job: BulkJob): void {
    const partial = this.partials.get(token);
    if (partial === undefined) {
      job.cancel();
      return;
    }
    const done = job.done.then(
      (bytes) => {
        partial.written += BigInt(bytes);
      },
      async (err: BulkError) => {
        partial.written += BigInt(err.bytes ?? 0);
        partial.failure ??= asApplyError(err, partial.path);
        // A full disk: give the space back at once rather than hold a file that cannot finish.
        if (partial.failure.code === 'ENOSPC') await partial.file.truncate(0).catch(() => {});
      },
    );
    partial.bulk = { done, cancel: job.cancel };
  }

  /**
   * Checks the complete partial file against the source's digest, of the kind its begin settled
   * (another kind is refused: EPROTO), and installs it.
   */
  async end(token: string, digest: string, kind: CheckKind = 'sha256'): Promise<void> {
    const partial = this.partials.get(token);
    if (partial === undefined) throw new ApplyError(`No transfer is open for token ${token}`, 'EPROTO');
    await partial.bulk?.done;
    if (partial.failure !== undefined) {
      // A bulk connection cut mid-way wrote only records that checked: kept for the next
      // attempt's resume, as a closed connection keeps a stream's partial. A full disk gave its space back.
      const keep = partial.bulk !== undefined && partial.failure.code !== 'ENOSPC';
      await this.abandon(token, !keep);
      if (keep) this.abandoned.set(token, partial.temp);
      throw partial.failure;
    }
    let dir: Buffer;
    try {
      if (partial.written !== partial.size) throw new ApplyError(`${printable(partial.path)}: ${partial.written} of ${partial.size} bytes`, 'EPROTO');
      const began = partial.check.kind;
      if (kind !== began) throw new ApplyError(`${printable(partial.path)}: the transfer began with a ${CHECK_NAMES[began]} check but its end carries ${CHECK_NAMES[kind]}`, 'EPROTO');
      if (partial.check.digest() !== digest) throw new ApplyError(`${printable(partial.path)}: content hash differs from the source's`, 'EBADMSG');
      await this.prepareFile(partial.file, partial.temp, partial.meta, partial.path);
      dir = await this.parentReady(partial.path);
    } catch (err) {
      await this.abandon(token, true);
      throw asApplyError(err, partial.path);
    }
    this.partials.delete(token);
    await partial.basis?.file.close().catch(() => {});
    await partial.direct?.close().catch(() => {});
    await this.commit(partial.path, partial.temp, dir, { handle: partial.file });
  }

  /**
   * A directory made, or an existing one given the source's owner, mode and attributes. Durable
   * when it resolves: a new one's parent is fsynced (its name) and the directory itself (its
   * attributes, set after mkdir); an existing one whose attributes changed is fsynced itself.
   */
  async mkdir(path: RelPath, meta: FileMeta): Promise<void> {
    const dir = await this.parentReady(path);
    const full = absolute(this.root, path);
    try {
      let st = await lstat(full).catch(() => undefined);
      if (st !== undefined && !st.isDirectory()) {
        this.structure++;
        if (!(await this.keep(path))) await rm(full, { recursive: true, force: true });
      }
      let made = false;
      if (st === undefined || !st.isDirectory()) {
        // EEXIST: made meanwhile by a concurrent request for a path below it.
        await mkdir(full, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        made = true;
        st = await lstat(full);
      }
      let changed = made;
      if (this.canChown && (st.uid !== meta.uid || st.gid !== meta.gid)) {
        await lchown(full, meta.uid, meta.gid);
        changed = true;
      }
      // After a chown (it may clear set-gid); a chmod of an unchanged mode is skipped.
      if (changed || (st.mode & 0o7777) !== meta.mode) {
        await chmod(full, meta.mode);
        changed = true;
      }
      if (this.applyAttrs(path, full, meta)) changed = true;
      await Promise.all([made ? this.dirs.sync(dir) : undefined, changed ? this.syncAttrs(full, dir) : undefined]);
    } catch (err) {
      throw asApplyError(err, path);
    }
  }

  /**
   * An attributes-only change made durable: fsync of the inode itself (no rename or directory
   * entry changed, so no directory fsync would carry it; on ext4 a directory's fsync commits
   * only the journal transaction of its own last change). A file the replica cannot open (not
   * root, no read permission) gets its directory fsynced instead, the best left to do.
   */
  private async syncAttrs(full: Buffer, dir: Buffer): Promise<void> {
    try {
      await this.dirs.syncInode(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      await this.dirs.sync(dir);
    }
  }

  /**
   * `path` made a hard link to `target` (a name already on the replica), atomically (a link
   * under a temporary name, renamed over `path`); with path === target only the attributes.
   * `target` must hold the source's version (same size and nanosecond mtime), else ESTALE and
   * the source sends the content instead. Owner, mode and attributes are the inode's, so they
   * are set on it: every name of the file has them on the source too.
   */
  async link(path: RelPath, target: RelPath, meta: FileMeta, size: bigint): Promise<void> {
    const dir = await this.parentReady(path);
    await this.parentReady(target);
    const full = absolute(this.root, path);
    const targetFull = absolute(this.root, target);
    const st = await lstat(targetFull, { bigint: true }).catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size !== size || st.mtimeNs !== meta.mtimeNs) {
      throw new ApplyError(`'${printable(target)}' on the replica is not the source's version of '${printable(path)}'`, 'ESTALE');
    }
    let changed = false;
    try {
      if (this.canChown && (Number(st.uid) !== meta.uid || Number(st.gid) !== meta.gid)) {
        await lchown(targetFull, meta.uid, meta.gid);
        changed = true;
      }
      // After a chown: it clears set-uid / set-gid bits.
      if (changed || Number(st.mode & 0o7777n) !== meta.mode) {
        await chmod(targetFull, meta.mode);
        changed = true;
      }
      if (this.applyAttrs(target, targetFull, meta)) changed = true;
    } catch (err) {
      throw asApplyError(err, path);
    }
    // Changed attributes are the inode's: fsynced before the acknowledgement (with the commit of
    // a new name, at the same time).
    const attrsDurable = changed ? this.syncAttrs(targetFull, absolute(this.root, parentOf(target))).catch((err: unknown) => Promise.reject(asApplyError(err, path))) : undefined;
    // Not left unhandled if the steps below fail first.
    attrsDurable?.catch(() => {});
    if (path === target) return attrsDurable;
    const current = await lstat(full, { bigint: true }).catch(() => undefined);
    if (current !== undefined && current.ino === st.ino && current.dev === st.dev) return attrsDurable;
    const temp = this.tempName(path);
    try {
      await link(targetFull, temp);
    } catch (err) {
      await attrsDurable?.catch(() => {});
      throw asApplyError(err, path);
    }
    await Promise.all([this.commit(path, temp, dir), attrsDurable]);
  }

  async symlink(path: RelPath, target: Buffer, meta: FileMeta): Promise<void> {
    const dir = await this.parentReady(path);
    const temp = this.tempName(path);
    this.structure++; // a link may replace a directory some checked path went through
    try {
      await symlink(target, temp);
      if (this.canChown) await lchown(temp, meta.uid, meta.gid);
      this.applyAttrs(path, temp, meta);
      this.setTimes(temp, meta.mtimeNs);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw asApplyError(err, path);
    }
    await this.commit(path, temp, dir);
  }

  /** Removes a file, link or whole directory; absent is fine. */
  async remove(path: RelPath): Promise<void> {
    if (path === '') throw new ApplyError('The replica root itself cannot be removed', 'EINVAL');
    const dir = await this.parentReady(path).catch(() => undefined);
    if (dir === undefined) return; // the parent is gone, so is this
    this.structure++;
    try {
      if (!(await this.keep(path))) await rm(absolute(this.root, path), { recursive: true, force: true });
      await this.dirs.sync(dir);
    } catch (err) {
      // The parent went too (removed by a concurrent removal of an ancestor): so did this.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw asApplyError(err, path);
    }
  }

  /** A rename as a rename (no copy); ENOENT when `from` is not on the replica. */
  async rename(from: RelPath, to: RelPath): Promise<void> {
    if (from === '' || to === '') throw new ApplyError('The replica root cannot be renamed', 'EINVAL');
    const fromDir = await this.parentReady(from);
    const toDir = await this.parentReady(to);
    this.structure++;
    try {
      await lstat(absolute(this.root, from));
      await this.keep(to);
      await rename(absolute(this.root, from), absolute(this.root, to));
      await this.dirs.sync(toDir);
      if (!fromDir.equals(toDir)) await this.dirs.sync(fromDir);
    } catch (err) {
      throw asApplyError(err, from);
    }
  }

  /** Partial transfers still open (a connection closed mid-file): closed, kept for resuming. */
  async closeAll(): Promise<void> {
    for (const [token, partial] of [...this.partials]) {
      await this.abandon(token, false);
      this.abandoned.set(token, partial.temp);
    }
  }

  /**
   * A full comparison completed with every file equal: the partials kept for resuming that no
   * transfer took up are of versions the source no longer sends. Removed, so a cut transfer
   * whose file reached the replica by another way leaves nothing behind.
   */
  async dropAbandoned(): Promise<void> {
    for (const [token, temp] of [...this.abandoned]) {
      this.abandoned.delete(token);
      if (!this.partials.has(token)) await unlink(temp).catch(() => {});
    }
  }

  /** Partials of other versions of the same file (same first 16 hex digits of the token). */
  private async dropOlderPartials(path: RelPath, token: string): Promise<void> {
    const dir = absolute(this.root, parentOf(path));
    const names = (await readdir(dir).catch(() => [])) as string[];
    for (const name of names) {
      if (name.startsWith(PARTIAL_PREFIX + token.slice(0, 16)) && name !== PARTIAL_PREFIX + token) {
        for (const [other, partial] of this.partials) if (partial.temp.toString('latin1').endsWith(name)) await this.abandon(other, false);
        await unlink(Buffer.concat([dir, Buffer.from(`/${name}`)])).catch(() => {});
      }
    }
  }

  private async abandon(token: string, remove: boolean): Promise<void> {
    const partial = this.partials.get(token);
    if (partial === undefined) return;
    this.partials.delete(token);
    // A receive job writes through the file's descriptors until it has ended.
    partial.bulk?.cancel();
    await partial.bulk?.done;
    await partial.file.close().catch(() => {});
    await partial.basis?.file.close().catch(() => {});
    await partial.direct?.close().catch(() => {});
    if (remove) await unlink(partial.temp).catch(() => {});
  }

  /**
   * In split-brain mode, moves the replica's entry at `path` (if any) into the conflict
   * directory before it is replaced or removed; true if it did. A name already kept there
   * (twice in one resolution) gets a numbered suffix rather than being overwritten.
   */
  private async keep(path: RelPath, replacing = false): Promise<boolean> {
    const conflicts = this.conflicts;
    if (conflicts === undefined) return false;
    const full = absolute(this.root, path);
    const st = await lstat(full).catch(() => undefined);
    if (st === undefined) return false;
    let target = absolute(conflicts.dir, path);
    await mkdir(absolute(conflicts.dir, parentOf(path)), { recursive: true, mode: 0o700 });
    for (let n = 1; (await lstat(target).catch(() => undefined)) !== undefined; n++) target = absolute(conflicts.dir, `${path}.${n}`);
    try {
      // A file about to be replaced is kept as a second link: readers of the replica see the
      // old version until the rename puts the new one in place, as always.
      if (replacing && !st.isDirectory()) await link(full, target);
      else await rename(full, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      throw new ApplyError(`Cannot keep '${printable(path)}': the conflict directory must be on the replica's filesystem`, 'EXDEV');
    }
    this.structure++;
    conflicts.kept++;
    this.onConflict?.(path);
    return true;
  }

  /**
   * A name no other temporary has: random per applier (a crashed run's leftovers differ), then a
   * counter (a random draw per file cost a getpid and an RNG call each).
   */
  private tempName(path: RelPath): Buffer {
    const parent = parentOf(path);
    return absolute(this.root, `${parent === '' ? '' : `${parent}/`}${TEMP_PREFIX}${this.tempPrefix}${(this.tempCounter++).toString(36)}`);
  }

  /** Owner, mode and times on the temporary; the data is made durable by the group commit. */
  private async prepareFile(file: FileHandle, temp: Buffer, meta: FileMeta, path: RelPath): Promise<void> {
    // Owner before mode: chown clears set-uid / set-gid bits.
    if (this.canChown) await file.chown(meta.uid, meta.gid);
    await file.chmod(meta.mode);
    this.applyAttrs(path, temp, meta);
    this.setTimes(temp, meta.mtimeNs);
  }

  /** Durable, renamed over the final name, directory durable (batch-commit.ts). */
  private async commit(path: RelPath, temp: Buffer, dir: Buffer, file?: OpenTemp): Promise<void> {
    const full = absolute(this.root, path);
    const install = async () => {
      await this.keep(path, true);
      try {
        await rename(temp, full);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        // A directory stands where a file or link now belongs.
        this.structure++;
        await rm(full, { recursive: true, force: true });
        await rename(temp, full);
      }
    };
    try {
      // The committer renames it itself when nothing is to be kept first (see the constructor).
      await this.commits.commit({ file, temp, install, dir, target: full });
    } catch (err) {
      throw asApplyError(err, path);
    }
  }

  private setTimes(path: Buffer, mtimeNs: bigint): void {
    const sec = Number(mtimeNs / NS);
    const nsec = Number(mtimeNs % NS);
    // atime is not replicated (reads change it); it is set to the mtime.
    this.native.setFileTimes(path, sec, nsec, sec, nsec, true);
  }

  /**
   * The absolute parent directory of `path` once checked: a safe relative path whose parent
   * exists on the replica as a directory reached without any symlink. ENOPARENT otherwise, and
   * the source sends the parent first.
   */
  private async parentReady(path: RelPath): Promise<Buffer> {
    if (!isSafeRel(path)) throw new ApplyError(`Path '${printable(path)}' is not a safe relative path`, 'EINVAL');
    this.rootReal ??= (await realpath(this.root, { encoding: 'buffer' })) as Buffer;
    const parent = parentOf(path);
    const dir = absolute(this.root, parent);
    if (this.checkedParents.get(parent) === this.structure) return dir;
    let real: Buffer;
    try {
      real = (await realpath(dir, { encoding: 'buffer' })) as Buffer;
      if (!(await stat(real)).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new ApplyError(`The parent of '${printable(path)}' is missing on the replica`, 'ENOPARENT');
    }
    if (!real.equals(absolute(this.rootReal, parent))) {
      throw new ApplyError(`The parent of '${printable(path)}' is reached through a symlink on the replica`, 'ENOPARENT');
    }
    if (this.checkedParents.size > 10_000) this.checkedParents.clear();
    this.checkedParents.set(parent, this.structure);
    return dir;
  }
}
