/**
 * The replica's file work in a delta transfer: the sums of its basis and the copies of basis
 * ranges into the new version, in the addon's thread-pool jobs where it has them
 * (native/delta-io.cc) and through node:fs otherwise (an older addon, tests).
 *
 * The whole-file check: the replica installs a delta's result only if the SHA-256 of the new
 * version equals the source's (replica-applier.ts end()); the block sums only choose what the
 * source sends. A copy done kernel-side (copy_file_range(2)) passes no byte through JavaScript,
 * so its bytes are hashed by reading them back from the new version (the page cache: no disk
 * read). The hash therefore covers exactly what the file holds, never what some read of the
 * basis returned: a basis changed since its sums were taken (a local write on the replica, even
 * through mmap, which need not move ctime), a false block match (a 64-bit strong-sum collision)
 * or a copy that wrote something else all leave a hash that differs, the result is refused
 * (EBADMSG) and the source sends the file whole. The guarantee is the one the read-and-write
 * copy gave (it hashed the bytes it read from the basis and then wrote), and a little stronger.
 * Not trusting the block sums for copied ranges costs one read of them from the page cache and
 * their SHA-256: the file on the replica must equal the source's, or the transfer fails.
 */
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { computeSums } from './delta-signature.js';

/** What delta transfer uses of the addon when it is there (native/delta-io.cc). */
export interface DeltaIoPort {
  /** Sums of blocks [from, from + n) of the file on `fd` as the `sums` wire payload, in one thread-pool job. */
  blockSums?(fd: number, basisSize: number, blockSize: number, from: number, n: number): Promise<Buffer>;
  /** `length` bytes from inFd at inOffset to outFd at outOffset: copy_file_range(2), read/write where it cannot (or `kernel` false); fewer only at the input's end. */
  copyFileRange?(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number, kernel?: boolean): Promise<{ copied: number; kernel: boolean }>;
}

/** Largest read when a range is copied or hashed through JavaScript. */
const CHUNK = 1024 * 1024;

/** Below this many bytes of basis a page of sums is one job. */
const SPLIT_BYTES = 16 * 1024 * 1024;
/** Jobs a large page of sums is cut into (the source waits for all of them, idle). */
const SUM_JOBS = Math.max(1, Math.min(4, availableParallelism()));

/**
 * Sums of basis blocks [from, from + n) (delta-signature.ts's wire payload). Through the addon a
 * large page is cut into a few thread-pool jobs that run at once (the source has nothing to do
 * until it has every sum); their pages are joined in order.
 */
export async function basisSums(port: DeltaIoPort, basis: FileHandle, basisSize: number, blockSize: number, from: number, n: number): Promise<Buffer> {
  if (port.blockSums !== undefined) {
    const jobs = Math.min(SUM_JOBS, Math.max(1, Math.floor((n * blockSize) / SPLIT_BYTES)));
    if (jobs === 1) return port.blockSums(basis.fd, basisSize, blockSize, from, n);
    const per = Math.ceil(n / jobs);
    const parts: Promise<Buffer>[] = [];
    for (let start = 0; start < n; start += per) parts.push(port.blockSums(basis.fd, basisSize, blockSize, from + start, Math.min(per, n - start)));
    for (const part of parts) part.catch(() => {}); // one failure is reported below, the others not left unhandled
    return Buffer.concat(await Promise.all(parts));
  }
  return computeSums(async (buffer, position) => (await basis.read(buffer, 0, buffer.length, position)).bytesRead, basisSize, blockSize, from, n);
}

/** Where a copy goes: the new version at `at`, hashed into `hash` in output order. */
export interface CopyTarget {
  file: FileHandle;
  at: number;
  /** A node:crypto Hash, or the applier's content check (content-check.ts). */
  hash: { update(bytes: Buffer): unknown };
}

/** Two reused buffers of CHUNK bytes: the next piece is read while this one is hashed or written. */
export class CopyBuffers {
  private buffers: [Buffer, Buffer] | undefined;

  get pair(): [Buffer, Buffer] {
    this.buffers ??= [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    return this.buffers;
  }
}

/**
 * Copies basis bytes [from, from + length) to the target and hashes them as the target now
 * holds them. Returns the bytes copied: fewer than `length` only if the basis ended (it
 * shrank since its size was taken). A write error (ENOSPC) throws; a short write throws ENOSPC.
 */
export async function copyRange(port: DeltaIoPort, basis: FileHandle, from: number, length: number, target: CopyTarget, buffers: CopyBuffers): Promise<number> {
  if (port.copyFileRange === undefined) return copyThroughJs(basis, from, length, target, buffers);
  const { copied } = await port.copyFileRange(basis.fd, from, target.file.fd, target.at, length);
  await hashBack(target, copied, buffers);
  return copied;
}

/** Hashes target bytes [at, at + length), read back (the next piece read while this one is hashed). */
async function hashBack(target: CopyTarget, length: number, buffers: CopyBuffers): Promise<void> {
  let [current, other] = buffers.pair;
  const readInto = (buffer: Buffer, done: number) => readFully(target.file, buffer.subarray(0, Math.min(buffer.length, length - done)), target.at + done);
  let reading: Promise<number> | undefined = length > 0 ? readInto(current, 0) : undefined;
  try {
    for (let done = 0; done < length; ) {
      const n = await reading!;
      reading = undefined;
      if (n === 0) throw Object.assign(new Error(`the new version ended at ${target.at + done} bytes while it was hashed`), { code: 'EIO' });
      const piece = current.subarray(0, n);
      done += n;
      if (done < length) reading = readInto(other, done);
      target.hash.update(piece);
      [current, other] = [other, current];
    }
  } finally {
    reading?.catch(() => {}); // a failure above left a read running: its outcome is not wanted
  }
}

/** Reads until `buffer` is full or the file ends; the bytes read. */
async function readFully(file: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buffer.length) {
    const { bytesRead } = await file.read(buffer, got, buffer.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Without the addon: read into JavaScript, written and hashed (the next piece read meanwhile). */
async function copyThroughJs(basis: FileHandle, from: number, length: number, target: CopyTarget, buffers: CopyBuffers): Promise<number> {
  let [current, other] = buffers.pair;
  const readInto = (buffer: Buffer, done: number) => basis.read(buffer, 0, Math.min(buffer.length, length - done), from + done);
  let reading: Promise<{ bytesRead: number }> | undefined = length > 0 ? readInto(current, 0) : undefined;
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await reading!;
      reading = undefined;
      if (bytesRead === 0) break; // the basis ended
      if (done + bytesRead < length) reading = readInto(other, done + bytesRead);
      const piece = current.subarray(0, bytesRead);
      // Hashed while the thread pool writes it (both only read the piece).
      const writing = target.file.write(piece, 0, bytesRead, target.at + done);
      target.hash.update(piece);
      const { bytesWritten } = await writing;
      // A regular file writes all or fails; a short count is the disk filling up.
      if (bytesWritten !== bytesRead) throw Object.assign(new Error(`${bytesWritten} of ${bytesRead} bytes written`), { code: 'ENOSPC' });
      done += bytesRead;
      [current, other] = [other, current];
    }
  } finally {
    reading?.catch(() => {});
  }
  return done;
}
