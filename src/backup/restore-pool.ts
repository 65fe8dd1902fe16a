/**
 * The threads that restore data blobs (restore-worker.ts): each reads a blob from its pack,
 * checks, decrypts, decompresses and hashes it, and writes it at its place in the restored file,
 * so that the main thread only walks the trees, creates the files and sets their metadata, and a
 * restore uses every core (the page-cache writes, the largest cost, happen in the workers too).
 * A job goes to the worker with the fewest outstanding; at most DEPTH a worker are outstanding,
 * and write() waits for room before it loads anything (a backend that is not local loads the
 * stored bytes on the main thread, into the message), so memory stays bounded. The workers are
 * started on the first job and unref'd when idle; close() ends them.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Backend } from './repo/backend.js';
import type { BlobLocation } from './repo/blob-index.js';
import type { MasterKey } from './repo/crypto.js';
import type { Id } from './repo/id.js';
import { startWorker, stopWorkers } from './worker-slot.js';

/** One data blob to restore: where it is stored and where it goes. */
export interface BlobWrite {
  seq: number;
  id: Id;
  pack: Id;
  offset: number;
  length: number;
  /** -1: stored uncompressed. */
  uncompressedLength: number;
  /** The pack's local path (the worker reads it), or else… */
  path?: string;
  /** …the stored bytes themselves. */
  sealed?: Uint8Array;
  /** An open descriptor of the file being restored, and the blob's offset in it. */
  fd: number;
  position: number;
}

export interface BlobWritten {
  seq: number;
  /** The blob's plaintext length. */
  bytes: number;
  /** All zeros: nothing written (the caller sets the file's size). */
  hole: boolean;
  error?: string;
}

/** Jobs outstanding per worker: enough that a worker never waits for the main thread. */
const DEPTH = 4;

/** Workers by default: one per core (the main thread mostly waits), at most 4. */
export const defaultRestoreWorkers = () => Math.max(1, Math.min(4, availableParallelism()));

interface Slot {
  worker: Worker;
  jobs: Map<number, { resolve(r: BlobWritten): void; reject(err: Error): void }>;
}

export class RestorePool {
  private slots: Slot[] = [];
  private outstanding = 0;
  private readonly roomWaiters: (() => void)[] = [];
  private nextSeq = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly key: MasterKey,
    private readonly backend: Backend,
    private readonly workers = defaultRestoreWorkers(),
  ) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`A restore pool needs at least one worker, got ${workers}`);
  }

  /**
   * Restores the data blob at `loc` into the file open as `fd` at `position`; resolves once it is
   * written (or found to be zeros). Rejects with the worker's error (a damaged blob names itself
   * and its pack). The caller must not close `fd` before the promise settles.
   */
  async write(id: Id, loc: BlobLocation, fd: number, position: number): Promise<BlobWritten> {
    if (this.closed) throw new Error('The restore pool was closed');
    while (this.outstanding >= this.workers * DEPTH) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    this.outstanding++;
    try {
      if (this.failure) throw this.failure;
      const h = { type: 'data' as const, name: loc.pack };
      const path = this.backend.localPath?.(h);
      const job: BlobWrite = {
        seq: this.nextSeq++,
        id,
        pack: loc.pack,
        offset: loc.offset,
        length: loc.length,
        uncompressedLength: loc.uncompressedLength ?? -1,
        fd,
        position,
        ...(path !== undefined ? { path } : { sealed: await this.backend.load(h, loc.offset, loc.length) }),
      };
      const r = await this.send(job);
      if (r.error !== undefined) throw new Error(r.error);
      return r;
    } finally {
      this.outstanding--;
      this.roomWaiters.shift()?.();
    }
  }

  private send(job: BlobWrite): Promise<BlobWritten> {
    if (this.slots.length === 0) this.start();
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    return new Promise<BlobWritten>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      slot.jobs.set(job.seq, { resolve, reject });
      slot.worker.ref();
      const transfer = job.sealed && job.sealed.byteOffset === 0 && job.sealed.buffer.byteLength === job.sealed.length ? [job.sealed.buffer as ArrayBuffer] : [];
      slot.worker.postMessage(job, transfer);
    });
  }

  private start(): void {
    for (let i = 0; i < this.workers; i++) {
      const slot = { jobs: new Map() } as Slot;
      slot.worker = startWorker<BlobWritten>(new URL('./restore-worker.js', import.meta.url), { key: this.key }, 'restore', {
        message: (m) => {
          const job = slot.jobs.get(m.seq);
          if (!job) return;
          slot.jobs.delete(m.seq);
          if (slot.jobs.size === 0) slot.worker.unref();
          job.resolve(m);
        },
        die: (err) => {
          this.failure ??= err;
          for (const j of slot.jobs.values()) j.reject(err);
          slot.jobs.clear();
        },
      });
      this.slots.push(slot);
    }
  }

  /** Ends the workers; jobs still outstanding are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await stopWorkers(slots.map((s) => s.worker));
    for (const s of slots) for (const j of s.jobs.values()) j.reject(new Error('The restore pool was closed'));
    for (const w of this.roomWaiters.splice(0)) w();
  }
}
