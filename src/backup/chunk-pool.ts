/**
 * The threads that read, chunk and hash the files of a backup (chunk-worker.ts), so that the
 * main thread only walks the directories, looks the chunk ids up and hands new chunks on to be
 * sealed. A file goes to one thread whole (content-defined cuts depend on every byte before
 * them, so a file is not split between threads); its chunks come back in file order. A thread
 * chunks one file at a time, so at most `workers` files are read at once (restic reads two), and
 * holds up to FILES_PER_THREAD more in its queue, so that small files (one chunk, one message
 * each way) follow each other without a round trip between them; a file waits for room in the
 * least busy thread. Each file's read-ahead is bounded (CREDIT pieces of READ_SIZE not yet
 * handled), so memory stays flat however large the file. Started at the first file and unref'd
 * when idle; close() ends the threads.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { ChunkWorkerData, FileEnd, FromChunkWorker, ToChunkWorker } from './chunk-protocol.js';
import type { Id } from './repo/id.js';
import { SourceReadError } from './source-errors.js';
import { startWorker, stopWorkers } from './worker-slot.js';

/** Bytes a read. 1 MiB (archiver.ts's READ_SIZE says why). */
export const CHUNK_READ_SIZE = 1024 * 1024;
/** Pieces a file may have read ahead of the main thread: enough that a thread does not wait for it. */
const CREDIT = 4;
/** Files given to one thread at once: the one it reads and those queued behind it. */
const FILES_PER_THREAD = 4;

/**
 * Threads by default: the cores but one (the main thread and the sealing threads have work too), at
 * least 1, at most 4. On the 2-core VM, 256 MiB of the mixed set, cold cache, three rounds at load
 * 0.4–1.7: 1 thread 5.57 s median wall (207 MB peak), 2 threads 5.85 s (244 MB), none 6.06 s.
 */
export const defaultChunkWorkers = () => Math.max(1, Math.min(4, availableParallelism() - 1));

/** Called for each chunk of a file in order, awaited: the chunk's bytes (views of the reads) and its id. */
export type OnChunk = (parts: Uint8Array[], id: Id) => Promise<void>;

interface FileRun {
  seq: number;
  /** For errors: the path as the archiver names it. */
  name: string;
  onChunk: OnChunk;
  /** Messages not yet handled, in order (handled one at a time: onChunk is awaited). */
  inbox: FromChunkWorker[];
  busy: boolean;
  /** The current chunk's parts, from earlier pieces. */
  parts: Uint8Array[];
  failed?: Error;
  resolve(size: number): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  /** Files given to the thread, by sequence number. */
  runs: Map<number, FileRun>;
  /** Room taken in the thread: its files, and callers between freeSlot() and sending theirs. */
  load: number;
}

export interface ChunkPoolOptions {
  workers?: number;
  /** Tests only: each thread fails a read that would reach this byte of a file (chunk-protocol.ts). */
  failReadAt?: number;
}

export class ChunkPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly workers: number;
  private nextSeq = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly polynomial: bigint,
    private readonly options: ChunkPoolOptions = {},
  ) {
    this.workers = options.workers ?? defaultChunkWorkers();
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new RangeError(`A chunk pool needs at least one worker, got ${this.workers}`);
  }

  /** Files chunked at once (one per thread). */
  get size(): number {
    return this.workers;
  }

  /**
   * Reads the file at `path` (fsPath()'s form) in a thread and calls `onChunk` for each of its
   * chunks in order; resolves with the file's length as read. `name` names the file in errors:
   * a read that fails rejects with a SourceReadError (`NAME: …`), a thread that throws or exits with
   * `Cannot chunk NAME: …`, and an `onChunk` that throws with its own error (the thread then
   * stops reading the file).
   */
  async chunkFile(path: string | Buffer, name: string, expectedSize: number, onChunk: OnChunk): Promise<number> {
    if (this.closed) throw new Error('The chunk pool was closed');
    const failed = (err: Error) => new Error(`Cannot chunk ${name}: ${err.message}`, { cause: err });
    if (this.failure) throw failed(this.failure);
    const slot = await this.freeSlot();
    const seq = this.nextSeq++;
    try {
      if (this.failure) throw failed(this.failure); // a thread died while this file waited
      return await new Promise<number>((resolve, reject) => {
        const run: FileRun = { seq, name, onChunk, inbox: [], busy: false, parts: [], resolve, reject };
        slot.runs.set(seq, run);
        slot.worker.ref();
        const job: ToChunkWorker = { type: 'file', seq: run.seq, path, expectedSize, credit: CREDIT };
        slot.worker.postMessage(job);
      });
    } finally {
      slot.runs.delete(seq);
      if (slot.runs.size === 0) slot.worker.unref();
      const next = this.waiting.shift();
      if (next) next(slot); // the room goes straight on
      else slot.load--;
    }
  }

  private async freeSlot(): Promise<Slot> {
    if (this.slots.length === 0) this.start();
    const least = this.slots.reduce((a, b) => (b.load < a.load ? b : a));
    if (least.load < FILES_PER_THREAD && this.waiting.length === 0) {
      least.load++; // taken at once: two callers never count the same room
      return least;
    }
    return new Promise<Slot>((resolve) => this.waiting.push(resolve));
  }

  private start(): void {
    const data: ChunkWorkerData = { polynomial: this.polynomial, readSize: CHUNK_READ_SIZE };
    if (this.options.failReadAt !== undefined) data.failReadAt = this.options.failReadAt;
    for (let i = 0; i < this.workers; i++) {
      const slot = { runs: new Map(), load: 0 } as Slot;
      slot.worker = startWorker<FromChunkWorker>(new URL('./chunk-worker.js', import.meta.url), data, 'chunking', {
        message: (m) => {
          const run = slot.runs.get(m.seq);
          if (!run) return;
          run.inbox.push(m);
          if (!run.busy) void this.drain(slot, run);
        },
        die: (err) => {
          this.failure ??= err;
          for (const run of slot.runs.values()) run.reject(new Error(`Cannot chunk ${run.name}: ${err.message}`, { cause: err }));
          for (const w of this.waiting.splice(0)) w(slot); // each fails on the dead thread's failure below
        },
      });
      this.slots.push(slot);
    }
  }

  /** Handles a file's messages one after the other (onChunk is awaited, so the order holds). */
  private async drain(slot: Slot, run: FileRun): Promise<void> {
    run.busy = true;
    try {
      while (run.inbox.length > 0) {
        const m = run.inbox.shift()!;
        if (m.type === 'end') {
          await this.end(run, m);
          return;
        }
        if (run.failed) continue; // cancelled: its last pieces are dropped
        try {
          let start = 0;
          for (let i = 0; i < m.cuts.length; i++) {
            const cut = m.cuts[i]!;
            run.parts.push(m.piece.subarray(start, cut));
            const parts = run.parts;
            run.parts = [];
            await run.onChunk(parts, m.ids[i]!);
            start = cut;
          }
          if (start < m.piece.length) run.parts.push(m.piece.subarray(start));
          this.post(slot, { type: 'ack', seq: run.seq, pieces: 1 });
        } catch (err) {
          run.failed = err instanceof Error ? err : new Error(String(err));
          this.post(slot, { type: 'cancel', seq: run.seq });
        }
      }
    } finally {
      run.busy = false;
    }
  }

  private async end(run: FileRun, m: FileEnd): Promise<void> {
    if (run.failed) return run.reject(run.failed);
    // A failed open or read of the file: the archiver leaves the file out and goes on.
    if (m.error !== undefined) return run.reject(new SourceReadError(run.name, Object.assign(new Error(m.error), m.code ? { code: m.code } : {})));
    try {
      if (m.lastId !== undefined) await run.onChunk(run.parts, m.lastId);
      run.parts = [];
      run.resolve(m.size);
    } catch (err) {
      run.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private post(slot: Slot, m: ToChunkWorker): void {
    if (!this.closed) slot.worker.postMessage(m);
  }

  /** Ends the threads; a file still being chunked is rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await stopWorkers(slots.map((s) => s.worker));
    for (const s of slots) for (const run of s.runs.values()) run.reject(new Error('The chunk pool was closed'));
  }
}
