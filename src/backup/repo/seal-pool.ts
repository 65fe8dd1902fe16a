/**
 * Compression and encryption of blobs in worker threads (node:worker_threads), so that a backup
 * uses more than one core: the main thread reads, chunks and hashes; the workers compress and seal.
 * Jobs go to the worker with the fewest outstanding; the pool is unref'd, so an idle pool never
 * keeps the process alive; close() ends the workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MasterKey } from './crypto.js';
import type { SealedBlob } from './seal-job.js';

interface Job {
  resolve(r: SealedBlob): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

/** Workers by default: the cores but one (the main thread has its own work), at least 1, at most 4. */
export const defaultSealWorkers = () => Math.max(1, Math.min(4, availableParallelism() - 1));

export class SealPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private failure: Error | undefined;

  constructor(key: MasterKey, compress: boolean, workers = defaultSealWorkers()) {
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(new URL('./seal-worker.js', import.meta.url), { workerData: { key, compress }, execArgv: [] }); // no inherited flags: Node refuses some (--input-type) in a thread
      const slot: Slot = { worker, jobs: new Map() };
      worker.on('message', (m: { id: number; sealed?: Uint8Array; uncompressedLength?: number; error?: string }) => {
        const job = slot.jobs.get(m.id);
        if (!job) return;
        slot.jobs.delete(m.id);
        if (slot.jobs.size === 0) worker.unref();
        if (m.error !== undefined || !m.sealed) return job.reject(new Error(`Sealing a blob failed: ${m.error}`));
        const sealed = Buffer.from(m.sealed.buffer, m.sealed.byteOffset, m.sealed.length);
        job.resolve(m.uncompressedLength === undefined ? { sealed } : { sealed, uncompressedLength: m.uncompressedLength });
      });
      const die = (err: Error) => {
        this.failure ??= err;
        for (const j of slot.jobs.values()) j.reject(err);
        slot.jobs.clear();
      };
      worker.on('error', die);
      worker.on('exit', (code) => die(new Error(`A sealing worker exited (status ${code})`)));
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** Compresses (when it helps) and seals a copy of `plaintext` in a worker. */
  seal(plaintext: Uint8Array): Promise<SealedBlob> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.nextId++;
    const data = new Uint8Array(plaintext.length);
    data.set(plaintext);
    return new Promise<SealedBlob>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, data }, [data.buffer]);
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const s of slots) s.worker.removeAllListeners('exit');
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
