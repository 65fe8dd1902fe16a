/** Bounded concurrency for the archiver and the restorer. */

/** Runs fn(0 … n-1), at most `limit` at once; rejects with the first failure once all settled. */
export async function forEachLimit(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < n && !failure) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  if (failure) throw failure.err;
}

/** At most `free` holders at once; acquire() waits, in order, for a release(). */
export class Semaphore {
  private readonly waiters: (() => void)[] = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }

  /** Runs `fn` holding one place. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/**
 * Work added one piece at a time; close() gives a promise that settles once every piece has: it
 * rejects with the first failure, but only after all settled (nothing is left running). A piece
 * is not kept once settled, so a long walk holds only what is under way.
 */
export class Settling {
  private pending = 1;
  private failure: { err: unknown } | undefined;
  private resolve!: () => void;
  private reject!: (err: unknown) => void;
  private readonly settled = new Promise<void>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });

  add(work: Promise<unknown>): void {
    this.pending++;
    work.then(
      () => this.settle(),
      (err: unknown) => {
        this.failure ??= { err };
        this.settle();
      },
    );
  }

  /** No more work will be added. */
  close(): Promise<void> {
    this.settle();
    return this.settled;
  }

  private settle(): void {
    if (--this.pending > 0) return;
    if (this.failure) this.reject(this.failure.err);
    else this.resolve();
  }
}
