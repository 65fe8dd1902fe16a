/**
 * A worker thread of restore-pool.ts: takes a data blob from its pack to its place in a restored
 * file. Per message (a BlobWrite): the stored bytes are read from the pack's path (a local
 * repository; else they come in the message), opened (MAC, decryption, decompression, hash:
 * repo/blob-opener.ts) and written at their offset in the file the main thread opened (descriptors
 * belong to the process, so the worker writes to it directly). A blob of zeros is not written:
 * the main thread sets the file's size, and the run of zeros is a hole. The answer is a
 * BlobWritten. workerData holds the master key.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MasterKey } from './repo/crypto.js';
import { BlobOpener } from './repo/blob-opener.js';
import { isZeros } from './zeros.js';
import type { BlobWrite, BlobWritten } from './restore-pool.js';

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

function restoreBlob(m: BlobWrite): BlobWritten {
  const loc = { type: 'data' as const, id: m.id, pack: m.pack, offset: m.offset, length: m.length, ...(m.uncompressedLength >= 0 ? { uncompressedLength: m.uncompressedLength } : {}) };
  const sealed = m.sealed ?? readStored(m.path!, m.offset, m.length);
  const plain = opener.open(m.id, loc, sealed);
  if (isZeros(plain)) return { seq: m.seq, bytes: plain.length, hole: true };
  for (let done = 0; done < plain.length; ) done += writeSync(m.fd, plain, done, plain.length - done, m.position + done);
  return { seq: m.seq, bytes: plain.length, hole: false };
}

parentPort!.on('message', (m: BlobWrite) => {
  let answer: BlobWritten;
  try {
    answer = restoreBlob(m);
  } catch (err) {
    answer = { seq: m.seq, bytes: 0, hole: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(answer);
});
