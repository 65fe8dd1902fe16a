/**
 * A worker thread of restore-pool.ts: takes a data blob from its pack to its place in a restored
 * file. Per message (a BlobWrite): the stored bytes are read from the pack's path (a local
 * repository; else they come in the message), opened (MAC, decryption, decompression, hash:
 * repo/blob-opener.ts) and written at their offset in the file the main thread opened (descriptors
 * belong to the process, so the worker writes to it directly). A blob of zeros is not written:
 * the main thread sets the file's size, and the run of zeros is a hole. The answer is a
 * BlobWritten. A FilesJob (small files) is restored here whole, file after file: created ('wx',
 * mode 0600 until chmod), written (a blob of zeros as a hole), chown-ed, chmod-ed, closed, then
 * its times set (after the writes, which would change them); the answer is a FilesDone.
 * workerData holds the master key.
 */
import { closeSync, fchmodSync, fchownSync, ftruncateSync, openSync, readSync, utimesSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MasterKey } from './repo/crypto.js';
import { BlobOpener } from './repo/blob-opener.js';
import { isZeros } from './zeros.js';
import type { BlobWrite, BlobWritten, FilesDone, FilesJob, SmallFile, StoredBlob } from './restore-pool.js';
import { backupNative } from './native.js';

const { key } = workerData as { key: MasterKey };
/** Opens the blobs into buffers it reuses (blob-opener.ts): no fresh memory per blob. */
const opener = new BlobOpener(key);

/** Pack files kept open (a restore reads the blobs of a pack one after the other). */
const OPEN_PACKS = 8;
const packs = new Map<string, number>();
/** The stored bytes of the blob being opened, read into one buffer that grows as needed. */
let readBuffer = Buffer.allocUnsafe(1 << 20);

function packFd(path: string): number {
  let fd = packs.get(path);
  if (fd !== undefined) {
    packs.delete(path); // most recently used last
    packs.set(path, fd);
    return fd;
  }
  fd = openSync(path, 'r');
  packs.set(path, fd);
  while (packs.size > OPEN_PACKS) {
    const [oldest, old] = packs.entries().next().value as [string, number];
    packs.delete(oldest);
    closeSync(old);
  }
  return fd;
}

/** `length` bytes at `offset` of the pack at `path`, in readBuffer (valid until the next call). */
function readStored(path: string, offset: number, length: number): Uint8Array {
  if (readBuffer.length < length) readBuffer = Buffer.allocUnsafe(Math.max(length, readBuffer.length * 2));
  const fd = packFd(path);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, readBuffer, done, length - done, offset + done);
    if (n === 0) throw new RangeError(`${path} ends before byte ${offset + length} (a truncated pack)`);
    done += n;
  }
  return readBuffer.subarray(0, length);
}

/** The plaintext of a stored blob (checked, decrypted, decompressed), in the opener's buffer. */
function openStored(m: StoredBlob): Uint8Array {
  const loc = { type: 'data' as const, id: m.id, pack: m.pack, offset: m.offset, length: m.length, ...(m.uncompressedLength >= 0 ? { uncompressedLength: m.uncompressedLength } : {}) };
  return opener.open(m.id, loc, m.sealed ?? readStored(m.path!, m.offset, m.length));
}

function restoreBlob(m: BlobWrite): BlobWritten {
  const plain = openStored(m);
  if (isZeros(plain)) return { seq: m.seq, bytes: plain.length, hole: true };
  for (let done = 0; done < plain.length; ) done += writeSync(m.fd, plain, done, plain.length - done, m.position + done);
  return { seq: m.seq, bytes: plain.length, hole: false };
}

const setFileTimes = backupNative()?.setFileTimes;

/** Restores one small file; returns its length. */
function restoreSmallFile(f: SmallFile, owners: boolean, ownersStrict: boolean): number {
  // A cloned Buffer arrives as a plain Uint8Array; node:fs and the addon want a Buffer.
  const path = typeof f.path === 'string' ? f.path : Buffer.from(f.path.buffer, f.path.byteOffset, f.path.length);
  const plain = f.blob ? openStored(f.blob) : undefined;
  const fd = openSync(path, 'wx', 0o600);
  try {
    if (plain && isZeros(plain)) ftruncateSync(fd, plain.length); // a hole
    else for (let done = 0; plain && done < plain.length; ) done += writeSync(fd, plain, done, plain.length - done);
    if (owners) {
      try {
        fchownSync(fd, f.uid, f.gid);
      } catch (err) {
        if (ownersStrict) throw err;
      }
    }
    fchmodSync(fd, f.perm); // after chown, which clears setuid and setgid
  } finally {
    closeSync(fd);
  }
  if (setFileTimes) setFileTimes(path, f.atime.sec, f.atime.nsec, f.mtime.sec, f.mtime.nsec, false);
  else utimesSync(path, f.atime.sec + f.atime.nsec / 1e9, f.mtime.sec + f.mtime.nsec / 1e9);
  return plain?.length ?? 0;
}

function restoreFiles(m: FilesJob): FilesDone {
  let bytes = 0;
  for (const [i, f] of m.files.entries()) {
    try {
      bytes += restoreSmallFile(f, m.owners, m.ownersStrict);
    } catch (err) {
      return { seq: m.seq, done: i, bytes, error: err instanceof Error ? err.message : String(err) };
    }
  }
  return { seq: m.seq, done: m.files.length, bytes };
}

parentPort!.on('message', (m: BlobWrite | FilesJob) => {
  if ('kind' in m) return parentPort!.postMessage(restoreFiles(m));
  let answer: BlobWritten;
  try {
    answer = restoreBlob(m);
  } catch (err) {
    answer = { seq: m.seq, bytes: 0, hole: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(answer);
});
