/**
 * A pack being assembled in a temporary file rather than in memory, as restic does (its packer
 * writes to a file in the temporary directory, $TMPDIR or /tmp, removed as soon as it is made):
 * a backup then holds no pack in memory however many are being filled or uploaded, only a small
 * staging buffer per open pack. The file is unlinked at once, so a process killed mid-backup
 * leaves nothing behind (and nothing in the repository: a pack reaches the backend only whole).
 * The pack's id, the SHA-256 of its bytes (design.rst, "Pack Format"), is computed as it is written.
 *
 * A backend that can (the local one, Backend.createTemp) gives instead a file under a temporary
 * name in the repository itself: the pack is assembled where it is to stay, and committing it
 * names it (savePackFile). Its bytes are then written once, not to $TMPDIR and copied into the
 * repository: in the first backup of the bench's mixed set (256 MiB) the kernel's copying into the
 * page cache (copy_folio_from_iter_atomic) was 24 % of all CPU samples, twice restic's, and reading
 * the temporary file back another 3 %. A failed save removes that name; a process killed leaves
 * it, as an interrupted save of any file does, for prune (verbs/leftovers.ts).
 *
 * Large blobs are written to the temporary file in libuv's thread pool, one after the other, not on
 * the caller's thread: synchronous writes held the backup's main thread (which reads, chunks and
 * hashes) whenever the kernel throttled a writer for dirty pages, 20–27 % of its time in the
 * profile of a first backup of the bench's mixed set. Such a blob must stay unchanged until
 * written (sealed blobs are buffers of their own); `queued` says how many bytes wait, and `room()`
 * lets a producer wait for them. Staged small blobs are written at once (see write()).
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, openSync, read, unlinkSync, write, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Backend, Source, TempFile } from './backend.js';
import type { MasterKey } from './crypto.js';
import type { Id } from './id.js';
import { encodePackTrailer, type PackedBlob } from './pack.js';

const readAt = promisify(read);
const writeAt = promisify(write);

/**
 * Small blobs are gathered here and written in one call: a write(2) per 2 KiB blob cost more
 * than the copy. Blobs at least this large are written directly.
 */
const STAGE_BYTES = 256 * 1024;
/** The pieces a finished pack is read back in for the backend. */
const PIECE_BYTES = 1024 * 1024;
/** room() waits while more than this many appended bytes are not yet written. */
const QUEUE_BYTES = 4 * 1024 * 1024;

export class PackFile {
  private fd: number | undefined;
  private readonly hash: Hash = createHash('sha256');
  private stage: Buffer | undefined;
  /**
   * A staging buffer whose write is done, for the next stage: one new buffer per stage written
   * stayed garbage outside V8's heap until a collection (some 20 MB more peak memory on the
   * bench's mixed set), so they are re-used.
   */
  private spare: Buffer | undefined;
  private staged = 0;
  /** Bytes appended so far (the offset of the next blob). */
  size = 0;
  /** Bytes handed to write() and not yet written. */
  queued = 0;
  /** Where the next write() goes in the file. */
  private written = 0;
  /** The writes, chained; it never rejects (the first failure is kept in `failure`). */
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private roomWaiters: (() => void)[] = [];

  /**
   * The temporary name in the repository (adopt()) until the pack is committed or dropped;
   * undefined for an unnamed file in $TMPDIR.
   */
  private temp: TempFile | undefined;

  /** For messages: 'in the repository' or 'to a temporary file'. */
  private readonly kind: string;

  private constructor(fd: number, private readonly where: string, temp?: TempFile) {
    this.fd = fd;
    this.temp = temp;
    this.kind = temp ? 'in the repository' : 'to a temporary file';
  }

  /** A pack assembled in a file the backend made in the repository (Backend.createTemp). */
  static adopt(temp: TempFile): PackFile {
    return new PackFile(temp.fd, temp.dir, temp);
  }

  /** The file under its temporary name in the repository, if it is one (see adopt()). */
  get inPlace(): TempFile | undefined {
    return this.temp;
  }

  /** A new, empty pack file in `dir` (default: the system's temporary directory, $TMPDIR). */
  static create(dir = tmpdir()): PackFile {
    const path = join(dir, `hotstandby-pack-${randomBytes(8).toString('hex')}`);
    let fd: number;
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch (err) {
      throw new Error(`Cannot create a temporary pack file in ${dir} (set TMPDIR to a writable directory): ${(err as Error).message}`);
    }
    try {
      unlinkSync(path);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new PackFile(fd, dir);
  }

  append(bytes: Uint8Array): void {
    this.openFd();
    if (this.staged + bytes.length > STAGE_BYTES) this.writeStage();
    if (bytes.length >= STAGE_BYTES) this.write(bytes);
    else {
      if (!this.stage) {
        this.stage = this.spare ?? Buffer.allocUnsafeSlow(STAGE_BYTES);
        this.spare = undefined;
      }
      this.stage.set(bytes, this.staged);
      this.staged += bytes.length;
    }
    this.size += bytes.length;
  }

  /**
   * Resolves when at most QUEUE_BYTES wait to be written (at once when that is already so), so a
   * producer faster than the disk holds a bounded amount of memory.
   */
  room(): Promise<void> {
    if (this.queued <= QUEUE_BYTES || this.failure) return Promise.resolve();
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Writes what is staged and waits for every write; the pack's id (the SHA-256 of all its bytes) and its size. */
  async finish(): Promise<{ id: Id; size: number }> {
    this.writeStage();
    this.stage = undefined;
    await this.tail;
    if (this.failure) throw this.failure;
    return { id: this.hash.digest('hex'), size: this.size };
  }

  /** The finished pack read back piece by piece (one buffer, re-used: a piece is valid until the next). */
  source(): Source {
    const size = this.size;
    const pieces = async function* (this: PackFile): AsyncGenerator<Uint8Array> {
      const buf = Buffer.allocUnsafeSlow(Math.min(PIECE_BYTES, Math.max(1, size)));
      for (let pos = 0; pos < size; ) {
        const n = Math.min(buf.length, size - pos);
        const { bytesRead } = await readAt(this.openFd(), buf, 0, n, pos);
        if (bytesRead === 0) throw new Error(`The temporary pack file in ${this.where} ended early (${pos} of ${size} bytes)`);
        pos += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    };
    return { size, pieces: () => pieces.call(this) };
  }

  /** The whole finished pack in memory (for a backend that saves only from memory). */
  async readAll(): Promise<Buffer> {
    const out = Buffer.allocUnsafe(this.size);
    let pos = 0;
    for await (const piece of this.source().pieces()) {
      out.set(piece, pos);
      pos += piece.length;
    }
    return out;
  }

  /**
   * Closes the file (its space is freed: it has no name). Idempotent. With writes still queued
   * (a backup that failed) the descriptor is closed once they are done, never under them: a
   * number closed early could be re-used by another file before a queued write reaches it.
   */
  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    this.stage = undefined;
    this.spare = undefined;
    const temp = this.temp;
    this.temp = undefined;
    if (temp) {
      try {
        unlinkSync(temp.path); // not committed: a pack that is not to be
      } catch {
        // gone already (the repository went away): nothing to remove
      }
    }
    if (fd === undefined) return;
    if (this.queued === 0) closeSync(fd);
    else void this.tail.then(() => closeSync(fd));
  }

  /** The pack now has its final name (Backend.commitTemp): close() leaves it. */
  committed(): void {
    this.temp = undefined;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error('The temporary pack file was closed');
    return this.fd;
  }

  /** Hands the staged bytes to write(); the next ones are staged in a new buffer (this one is being written). */
  private writeStage(): void {
    if (this.staged === 0) return;
    const stage = this.stage!;
    const staged = stage.subarray(0, this.staged);
    this.staged = 0;
    this.stage = undefined;
    this.write(staged, stage);
  }

  /**
   * Hashes `bytes` now and writes them at the file's end: a staging buffer (`stage`, at most
   * STAGE_BYTES of small blobs) at once, and it stays the spare for the next stage; a large blob
   * in the thread pool (queued). Queued writes held the small-file set's peak memory some 15 MB
   * higher (20,000 files of 0.2-4 KB: 142-146 MB with staged writes done at once, 157-161 MB with
   * them queued), while large blobs are where the main thread waited in writeSync.
   */
  private write(bytes: Uint8Array, stage?: Buffer): void {
    this.hash.update(bytes);
    const fd = this.openFd();
    const at = this.written;
    this.written += bytes.length;
    if (stage) {
      try {
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
      } catch (err) {
        throw this.writeFailed(err);
      }
      this.spare = stage;
      return;
    }
    this.queued += bytes.length;
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure) return;
        for (let done = 0; done < bytes.length; ) done += (await writeAt(fd, bytes, done, bytes.length - done, at + done)).bytesWritten;
      } catch (err) {
        this.failure = this.writeFailed(err);
      } finally {
        this.queued -= bytes.length;
        if (this.queued <= QUEUE_BYTES || this.failure) for (const w of this.roomWaiters.splice(0)) w();
      }
    });
  }

  private writeFailed(err: unknown): Error {
    return new Error(`Writing a pack ${this.kind} in ${this.where} failed: ${(err as Error).message}`);
  }
}

/**
 * Ends `file` with the encrypted header listing `blobs`, saves it as `data/<id>` (named in place
 * when it is in the repository already, else a piece at a time when the backend can take pieces)
 * and closes it, saved or not; its id and size. It is durable when this resolves: design.rst,
 * "Read and Write Ordering", has the pack files written before the index that lists them.
 */
export async function savePackFile(backend: Backend, key: MasterKey, file: PackFile, blobs: readonly PackedBlob[]): Promise<{ id: Id; size: number }> {
  try {
    file.append(encodePackTrailer(key, blobs));
    const done = await file.finish();
    const h = { type: 'data' as const, name: done.id };
    const temp = file.inPlace;
    if (temp) {
      if (!backend.commitTemp) throw new TypeError(`The backend at ${backend.location()} cannot name a pack assembled in place`);
      await backend.commitTemp(h, temp);
      file.committed();
    } else if (backend.saveFrom) await backend.saveFrom(h, file.source());
    else await backend.save(h, await file.readAll());
    return done;
  } finally {
    file.close();
  }
}
