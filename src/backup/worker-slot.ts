/**
 * Starting one thread of a backup worker pool (seal-pool.ts, restore-pool.ts, chunk-pool.ts), the
 * same way for every pool: no inherited node flags, a small young generation, the pool's error
 * handler for both a thrown error and an exit, and unref'd, so an idle pool never keeps the
 * process alive (the pool refs a worker while it has jobs outstanding, and unrefs it again).
 */
import { Worker } from 'node:worker_threads';

/**
 * The young generation of a pool thread's heap (V8 splits it into semi-spaces). The blobs are
 * ArrayBuffers outside the heap; the heap holds only small, short-lived objects, and V8 would
 * still grow the young generation to 16 MB a semi-space (measured: some 10 MB of resident memory
 * for nothing on the bench's small-file set).
 */
const WORKER_YOUNG_GENERATION_MB = 6;

export interface WorkerSlotHandlers<Answer> {
  /** Each message the thread posts. */
  message(answer: Answer): void;
  /** The thread threw, or exited (`A <what> worker exited (status N)`); called at most once. */
  die(err: Error): void;
}

/**
 * Starts the thread of module `url` (a `*-worker.js` module: it runs on import) with `workerData`.
 * `what` names the pool in the error of an unexpected exit ("sealing", "restore", "chunking").
 */
export function startWorker<Answer>(url: URL, workerData: unknown, what: string, handlers: WorkerSlotHandlers<Answer>): Worker {
  const worker = new Worker(url, {
    workerData,
    execArgv: [], // no inherited flags: Node refuses some (--input-type) in a thread
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  let dead = false;
  const die = (err: Error) => {
    if (dead) return;
    dead = true;
    handlers.die(err);
  };
  worker.on('message', (m: Answer) => handlers.message(m));
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`A ${what} worker exited (status ${code})`)));
  worker.unref();
  return worker;
}

/** Ends pool threads: an exit now is expected (no error for it), and each is waited for. */
export async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  for (const w of workers) w.removeAllListeners('exit');
  await Promise.all(workers.map((w) => w.terminate()));
}
