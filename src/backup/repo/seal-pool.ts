/**
 * Compression and encryption of blobs in worker threads (node:worker_threads), so that a backup
 * uses more than one core: the chunking threads (chunk-pool.ts; the main thread for small files)
 * read, chunk and hash; these workers compress and seal.
 * Jobs go to the worker with the fewest outstanding; the pool is unref'd, so an idle pool never
 * keeps the process alive; close() ends the workers. Small blobs travel in batches (one message
 * for up to BATCH_BYTES or BATCH_BLOBS of them): a message per 2 KiB blob cost more than sealing it.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker, stopWorkers } from '../worker-slot.js';
import type { MasterKey } from './crypto.js';
import type { SealedBlob } from './seal-job.js';

interface Job {
  resolve(r: SealedBlob): void;
  reject(err: Error): void;
}

/** A batch is sent once it holds this many bytes or blobs, or at the next turn of the event loop. */
const BATCH_BYTES = 256 * 1024;
const BATCH_BLOBS = 256;

/**
 * Room for a full batch and one more small blob (repository.ts sends blobs below 32 KiB here):
 * the blobs are copied in as they come, so the caller's buffer is free again at once.
 */
const BATCH_CAPACITY = BATCH_BYTES + 32 * 1024;

interface Batch {
  /** The blobs end to end, copied in by sealSmall(). */
  data: Uint8Array;
  lengths: number[];
  bytes: number;
  jobs: Job[];
}

/** The answer to a batch: the sealed blobs end to end in `sealed`, with their lengths. */
interface BatchAnswer {
  id: number;
  sealed?: Uint8Array;
  lengths?: number[];
  /** Per blob: the plaintext length when compressed, else 0. */
  uncompressed?: number[];
  error?: string;
}

interface Slot {
  worker: Worker;
  /** Outstanding messages: the jobs of each, in the order of its blobs. */
  jobs: Map<number, Job[]>;
}

/**
 * Workers by default: one per core, at most 4. Sealing (zstd at level 3: 100–550 MiB/s a core) is
 * the slowest stage of a backup per byte, and one worker on two cores was the bottleneck whenever
 * the chunking thread or the main thread waited for it. 2026-12-05, 2-core VM, the bench's mixed
 * set (1.1 GiB), first backups alternated at load 2.6–4.0: 2 workers beat 1 in 6 of 9 rounds,
 * median 7.66 s against 8.02 s, some 26 MB more peak RSS (docs/backups.md); on 100,000 small files
 * no difference beyond the noise.
 */
export const defaultSealWorkers = () => Math.max(1, Math.min(4, availableParallelism()));

export class SealPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private failure: Error | undefined;
  private batch: Batch | undefined;

  /**
   * Up to `workers` threads, started as the work needs them: the first with the first message,
   * another only when a message finds every started one busy. A thread's start (its modules, the
   * zstd addon) costs about as much CPU as sealing a few MiB, so a re-run that seals a few trees
   * and changed files starts one, not one per core.
   */
  constructor(
    private readonly key: MasterKey,
    private readonly compress: boolean,
    private readonly workers = defaultSealWorkers(),
  ) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`A sealing pool needs at least one worker, got ${workers}`);
  }

  /** Threads started so far. */
  get threads(): number {
    return this.slots.length;
  }

  private startSlot(): Slot {
    const slot = { jobs: new Map() } as Slot;
    slot.worker = startWorker<BatchAnswer>(new URL('./seal-worker.js', import.meta.url), { key: this.key, compress: this.compress }, 'sealing', {
      message: (m) => this.answer(slot, m),
      die: (err) => {
        this.failure ??= err;
        for (const js of slot.jobs.values()) for (const j of js) j.reject(err);
        slot.jobs.clear();
      },
    });
    this.slots.push(slot);
    return slot;
  }

  /** A worker's answer to one message: the sealed blobs go to their jobs, in order. */
  private answer(slot: Slot, m: BatchAnswer): void {
    const jobs = slot.jobs.get(m.id);
    if (!jobs) return;
    slot.jobs.delete(m.id);
    if (slot.jobs.size === 0) slot.worker.unref();
    if (m.error !== undefined || !m.sealed || !m.lengths || !m.uncompressed || m.lengths.length !== jobs.length) {
      for (const j of jobs) j.reject(new Error(`Sealing a blob failed: ${m.error ?? 'malformed answer'}`));
      return;
    }
    const all = Buffer.from(m.sealed.buffer, m.sealed.byteOffset, m.sealed.length);
    let o = 0;
    jobs.forEach((job, i) => {
      const sealed = all.subarray(o, o + m.lengths![i]!);
      o += sealed.length;
      const u = m.uncompressed![i]!;
      job.resolve(u === 0 ? { sealed } : { sealed, uncompressedLength: u });
    });
  }

  /**
   * Compresses (when it helps) and seals a copy of `plaintext` in a worker, in a message of its
   * own. A blob given in parts (a chunk that spans two reads) is copied straight into the message.
   * The copy is made before this returns: the caller may reuse its buffers at once.
   */
  seal(plaintext: Uint8Array | readonly Uint8Array[]): Promise<SealedBlob> {
    if (this.failure) return Promise.reject(this.failure);
    const parts = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
    let bytes = 0;
    for (const p of parts) bytes += p.length;
    // Not zero-filled first: every byte is copied over. A buffer of its own, to be transferred.
    const data = Buffer.allocUnsafeSlow(bytes);
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    return new Promise<SealedBlob>((resolve, reject) => this.send(data, [bytes], [{ resolve, reject }]));
  }

  /**
   * Like seal(), for a small blob: copied into a batch (sent when full, by sendBatch(), or at the
   * next turn) before this returns.
   */
  sealSmall(plaintext: Uint8Array): Promise<SealedBlob> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<SealedBlob>((resolve, reject) => {
      if (!this.batch) {
        this.batch = { data: new Uint8Array(Math.max(BATCH_CAPACITY, plaintext.length)), lengths: [], bytes: 0, jobs: [] };
        setImmediate(() => this.sendBatch());
      }
      const b = this.batch;
      if (b.bytes + plaintext.length > b.data.length) {
        const grown = new Uint8Array(b.bytes + plaintext.length);
        grown.set(b.data.subarray(0, b.bytes));
        b.data = grown;
      }
      b.data.set(plaintext, b.bytes);
      b.bytes += plaintext.length;
      b.lengths.push(plaintext.length);
      b.jobs.push({ resolve, reject });
      if (b.bytes >= BATCH_BYTES || b.lengths.length >= BATCH_BLOBS) this.sendBatch();
    });
  }

  /** Sends the batch being filled, if any. */
  sendBatch(): void {
    const b = this.batch;
    this.batch = undefined;
    if (b && b.lengths.length > 0) this.send(b.data.subarray(0, b.bytes), b.lengths, b.jobs);
  }

  /** One message: `data` (blobs of `lengths` end to end, a buffer of its own) transferred to the least busy worker. */
  private send(data: Uint8Array, lengths: number[], jobs: Job[]): void {
    if (this.failure) {
      for (const j of jobs) j.reject(this.failure);
      return;
    }
    const least = this.slots.length === 0 ? undefined : this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const slot = least === undefined || (least.jobs.size > 0 && this.slots.length < this.workers) ? this.startSlot() : least;
    const id = this.nextId++;
    slot.jobs.set(id, jobs);
    slot.worker.ref();
    slot.worker.postMessage({ id, data, lengths }, [data.buffer as ArrayBuffer]);
  }

  async close(): Promise<void> {
    const pending = this.batch;
    this.batch = undefined;
    for (const j of pending?.jobs ?? []) j.reject(new Error('The sealing pool was closed'));
    await stopWorkers(this.slots.splice(0).map((s) => s.worker));
  }
}
