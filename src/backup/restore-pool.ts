/**
 * The threads that restore data blobs (restore-worker.ts): each reads a blob from its pack,
 * checks, decrypts, decompresses and hashes it, and writes it at its place in the restored file,
 * so that the main thread only walks the trees, creates the files and sets their metadata, and a
 * restore uses every core (the page-cache writes, the largest cost, happen in the workers too).
 * A job goes to the worker with the fewest outstanding; at most DEPTH a worker are outstanding,
 * and write() waits for room before it loads anything (a backend that is not local loads the
 * stored bytes on the main thread, into the message), so memory stays bounded. The workers are
 * started on the first job and unref'd when idle; close() ends them.
 * Small files go in batches (restoreFiles): the worker creates, writes, owns, chmods, closes and
 * times each, so that the main thread no longer waits on file creation one file at a time.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Backend } from './repo/backend.js';
import type { BlobLocation } from './repo/blob-index.js';
import type { MasterKey } from './repo/crypto.js';
import type { Id } from './repo/id.js';
import { startWorker, stopWorkers } from './worker-slot.js';

/** A stored blob as a job carries it: read from `path` (a local pack) or else given as `sealed`. */
export interface StoredBlob {
  id: Id;
  pack: Id;
  offset: number;
  length: number;
  /** -1: stored uncompressed. */
  uncompressedLength: number;
  path?: string;
  sealed?: Uint8Array;
}

/** One data blob to restore: where it is stored and where it goes. */
export interface BlobWrite extends StoredBlob {
  seq: number;
  /** An open descriptor of the file being restored, and the blob's offset in it. */
  fd: number;
  position: number;
}

/** One small file restored whole by a worker: created (it must not exist), written, owned, moded, timed. */
export interface SmallFile {
  /** A string, or the bytes of a name that is not UTF-8 (repo/names.ts fsPath). */
  path: string | Uint8Array;
  /** Absent: an empty file. */
  blob?: StoredBlob;
  uid: number;
  gid: number;
  /** Permission bits for chmod (with setuid, setgid, sticky). */
  perm: number;
  atime: { sec: number; nsec: number };
  mtime: { sec: number; nsec: number };
}

export interface FilesJob {
  kind: 'files';
  seq: number;
  files: SmallFile[];
  /** Restore owners; a refused chown fails the file only when `ownersStrict` (running as root). */
  owners: boolean;
  ownersStrict: boolean;
}

/** The files of a FilesJob restored in order: `done` of them; on `error`, files[done] failed and the rest were not tried. */
export interface FilesDone {
  seq: number;
  done: number;
  bytes: number;
  error?: string;
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

type Answer = BlobWritten | FilesDone;

interface Slot {
  worker: Worker;
  jobs: Map<number, { resolve(r: Answer): void; reject(err: Error): void }>;
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
    readonly workers = defaultRestoreWorkers(),
  ) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`A restore pool needs at least one worker, got ${workers}`);
  }

  /**
   * Restores the data blob at `loc` into the file open as `fd` at `position`; resolves once it is
   * written (or found to be zeros). Rejects with the worker's error (a damaged blob names itself
   * and its pack). The caller must not close `fd` before the promise settles.
   */
  async write(id: Id, loc: BlobLocation, fd: number, position: number): Promise<BlobWritten> {
    const r = (await this.withRoom(async (seq) => ({ seq, ...(await this.stored(id, loc)), fd, position }))) as BlobWritten;
    if (r.error !== undefined) throw new Error(r.error);
    return r;
  }

  /**
   * Restores small files whole in one worker, in order (see FilesJob). Resolves with how many were
   * restored; a failure is in `error` (the caller names the file), never a rejection, except when
   * a worker dies or the pool is closed.
   */
  async restoreFiles(files: { path: string | Uint8Array; id?: Id; loc?: BlobLocation; uid: number; gid: number; perm: number; atime: SmallFile['atime']; mtime: SmallFile['mtime'] }[], owners: boolean, ownersStrict: boolean): Promise<FilesDone> {
    return (await this.withRoom(async (seq) => {
      const list: SmallFile[] = [];
      for (const f of files) {
        const { id, loc, ...rest } = f;
        list.push(id && loc ? { ...rest, blob: await this.stored(id, loc) } : rest);
      }
      return { kind: 'files', seq, files: list, owners, ownersStrict } satisfies FilesJob;
    })) as FilesDone;
  }

  /** A blob as a job carries it: its pack's path when the backend is local, else its stored bytes (loaded here). */
  private async stored(id: Id, loc: BlobLocation): Promise<StoredBlob> {
    const h = { type: 'data' as const, name: loc.pack };
    const path = this.backend.localPath?.(h);
    const blob = { id, pack: loc.pack, offset: loc.offset, length: loc.length, uncompressedLength: loc.uncompressedLength ?? -1 };
    return path !== undefined ? { ...blob, path } : { ...blob, sealed: await this.backend.load(h, loc.offset, loc.length) };
  }

  /** Waits for room (at most DEPTH jobs a worker outstanding), builds the job and runs it. */
  private async withRoom(build: (seq: number) => Promise<BlobWrite | FilesJob>): Promise<Answer> {
    if (this.closed) throw new Error('The restore pool was closed');
    while (this.outstanding >= this.workers * DEPTH) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    this.outstanding++;
    try {
      if (this.failure) throw this.failure;
      return await this.send(await build(this.nextSeq++));
    } finally {
      this.outstanding--;
      this.roomWaiters.shift()?.();
    }
  }

  private send(job: BlobWrite | FilesJob): Promise<Answer> {
    if (this.slots.length === 0) this.start();
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    return new Promise<Answer>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      slot.jobs.set(job.seq, { resolve, reject });
      slot.worker.ref();
      const sealed = 'kind' in job ? job.files.map((f) => f.blob?.sealed) : [job.sealed];
      // A buffer is moved rather than copied when it is the whole of its ArrayBuffer (a load's result).
      const transfer = sealed.filter((b) => b && b.byteOffset === 0 && b.buffer.byteLength === b.length).map((b) => b!.buffer as ArrayBuffer);
      slot.worker.postMessage(job, transfer);
    });
  }

  private start(): void {
    for (let i = 0; i < this.workers; i++) {
      const slot = { jobs: new Map() } as Slot;
      slot.worker = startWorker<Answer>(new URL('./restore-worker.js', import.meta.url), { key: this.key }, 'restore', {
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
