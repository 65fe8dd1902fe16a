/**
 * A worker thread of chunk-pool.ts: reads a file, cuts it where restic's chunker cuts
 * (repo/chunker.ts, the repository's polynomial from workerData) and hashes each chunk (its blob
 * id, SHA-256: design.rst, "Terminology"), so that the main thread of a backup neither chunks nor
 * hashes. One file at a time (protocol in chunk-protocol.ts):
 *
 * - a FileJob starts a file; the file is read READ_SIZE bytes at a time, each read a buffer of its
 *   own, posted (transferred, not copied) as a ChunkedPiece with the cuts inside it and the ids of
 *   the chunks they end. The chunker's state and the running hash carry over from one read to the
 *   next, so a chunk may span reads.
 * - At most `credit` pieces are posted ahead of the main thread's Acks: the read-ahead, and so the
 *   memory a file holds, stays bounded however fast the disk is.
 * - The file ends with a FileEnd: its length and the id of its last chunk (the bytes after the last
 *   cut), or the error that stopped it (the message of the failed open or read), or nothing when
 *   a Cancel stopped it. Exactly one FileEnd per FileJob; then the next file.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Chunker, chunkerTables } from './repo/chunker.js';
import type { ChunkWorkerData, FileJob, ToChunkWorker } from './chunk-protocol.js';

const { polynomial, readSize, failReadAt } = workerData as ChunkWorkerData;
const tables = chunkerTables(polynomial);

const files: FileJob[] = [];
let running = false;
/** The file being chunked: its sequence number, the pieces it may still post, and whether it was cancelled. */
let current = { seq: 0, credit: 0, cancelled: false };
let wake: (() => void) | undefined;

parentPort!.on('message', (m: ToChunkWorker) => {
  if (m.type === 'file') {
    files.push(m);
    if (!running) void run();
    return;
  }
  if (m.type === 'cancel' && m.seq !== current.seq) {
    // A file still queued: it is ended as soon as it comes up.
    const queued = files.find((f) => f.seq === m.seq);
    if (queued) queued.credit = -1;
    return;
  }
  if (m.seq !== current.seq) return; // for a file already ended
  if (m.type === 'ack') current.credit += m.pieces;
  else current.cancelled = true;
  wake?.();
  wake = undefined;
});

async function run(): Promise<void> {
  running = true;
  while (files.length > 0) {
    const job = files.shift()!;
    current = { seq: job.seq, credit: job.credit, cancelled: job.credit < 0 };
    try {
      const end = await chunkFile(job);
      parentPort!.postMessage({ type: 'end', seq: job.seq, ...end });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      parentPort!.postMessage({ type: 'end', seq: job.seq, size: 0, error: err instanceof Error ? err.message : String(err), ...(code ? { code } : {}) });
    }
  }
  running = false;
}

/** Waits until the main thread has room for another piece (or cancelled the file). */
async function credit(): Promise<void> {
  while (current.credit <= 0 && !current.cancelled) await new Promise<void>((resolve) => (wake = resolve));
}

async function chunkFile(job: FileJob): Promise<{ size: number; lastId?: string }> {
  const path = typeof job.path === 'string' ? job.path : Buffer.from(job.path);
  // Never following a symlink: a file replaced by one since the walk's scan fails with ELOOP
  // instead of storing the target's bytes (only the walk's files come here, archiver.ts).
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const chunker = new Chunker(tables);
    let hash: Hash = createHash('sha256');
    let pending = 0; // bytes of the current chunk so far
    let size = 0;
    // A first read sized by lstat: a small file costs a small buffer, and a short read at or past
    // lstat's size is the end (no second read to find it).
    let want = Math.min(readSize, job.expectedSize + 1);
    for (;;) {
      await credit();
      if (current.cancelled) return { size };
      const buf = Buffer.allocUnsafeSlow(want); // a buffer of its own, to be transferred
      if (failReadAt !== undefined && size + want > failReadAt) throw new Error(`EIO: i/o error, read (injected at byte ${failReadAt})`);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      size += n;
      const data = buf.subarray(0, n);
      const cuts: number[] = [];
      const ids: string[] = [];
      let start = 0;
      for (;;) {
        const cut = chunker.nextSplit(data, start);
        if (cut < 0) break;
        hash.update(data.subarray(start, cut));
        ids.push(hash.digest('hex'));
        hash = createHash('sha256');
        cuts.push(cut);
        pending = 0;
        start = cut;
      }
      if (start < n) {
        hash.update(data.subarray(start));
        pending += n - start;
      }
      current.credit--;
      parentPort!.postMessage({ type: 'piece', seq: job.seq, piece: data, cuts, ids }, [buf.buffer]);
      if (n < want && size >= job.expectedSize) break; // the end of the file
      want = readSize;
    }
    return pending > 0 ? { size, lastId: hash.digest('hex') } : { size };
  } finally {
    closeSync(fd);
  }
}
