/**
 * Group commit on the replica. Each change still becomes visible atomically (temporary file made
 * durable, then renamed, then its directory made durable: rename(2) is the only step a reader
 * sees), but the durable steps are shared by every change that waits at the same time:
 *
 *   1. one data sync for the whole batch (the addon's syncDataBatch: writeback of all files,
 *      then on ext4 / xfs the journal order, elsewhere fsync of each: about one journal commit in all),
 *   2. the renames,
 *   3. one fsync per distinct directory (coalesced with other batches' by DirSyncs).
 *
 * A change waits for nothing but the commit already running: while it runs the next batch
 * gathers, so the batch size follows the disk's commit time (and the load) by itself, with no
 * timer. A batch's directory fsyncs overlap the next batch's data sync.
 *
 * A change is acknowledged only after step 3. A failure of one file (EIO, ENOSPC at the sync)
 * fails that change alone: its temporary file is removed and nothing is renamed.
 */
import { close as closeFd, fsync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { DirSyncs } from './dir-sync.js';

/**
 * The addon's batched data sync; entries are null or the errno name of a failure; `close` closes
 * those fds after; `renames` [temporary, final] per fd are renamed in the same job once their
 * data is written (a failed one is "rename:" + errno name, and the caller installs it); `dirs`
 * the directory of each fd, so the filesystem is asked once per directory, not per file.
 */
export type SyncDataBatch = (fds: number[], close?: boolean[], renames?: ([Buffer, Buffer] | null)[], dirs?: (Buffer | null)[]) => Promise<(string | null)[]>;

const fsyncFd = promisify(fsync);
const closeRawFd = promisify(closeFd);

/** The temporary file, open: a FileHandle, or a raw fd that the committer owns. */
export type OpenTemp = { handle: FileHandle } | { fd: number };

export interface CommitItem {
  /** The committer syncs and closes it. Absent for a symlink. */
  file?: OpenTemp;
  temp: Buffer;
  /** Puts `temp` in place (a rename, with whatever the applier does when the target is a directory). */
  install: () => Promise<void>;
  /**
   * Where a plain rename puts `temp`, when nothing else is to be done first: the committer may
   * rename it in the data sync's job; `install` runs only if that rename fails.
   */
  target?: Buffer;
  /** The directory to fsync after the rename. */
  dir: Buffer;
}

interface Waiting extends CommitItem {
  resolve: () => void;
  reject: (err: Error) => void;
  /** Renamed into place by the data sync's job already. */
  installed?: boolean;
}

/**
 * One group commit's phases in milliseconds, for benchmarks (where the tail of the lag goes):
 * step 1 (data sync, with the renames the addon makes in the same job), step 2 (the other
 * renames), step 3 (the directory fsyncs, which a commit of the next batch may overlap).
 */
export interface CommitPhases {
  files: number;
  dataMs: number;
  renameMs: number;
  dirMs: number;
}

export class CommitFailed extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CommitFailed';
  }
}

export class BatchCommitter {
  private waiting: Waiting[] = [];
  private running = false;
  /** Batches and changes committed, for the mean batch size. */
  private batches = 0;
  private items = 0;

  constructor(
    private readonly dirs: DirSyncs,
    private readonly syncData: SyncDataBatch | undefined,
    /** syncData renames too (else every item is installed here); a function is asked at each batch. */
    private readonly syncRenames: boolean | (() => boolean) = false,
    /** Told of each batch once it is acknowledged (benchmarks; absent: nothing is timed). */
    private readonly onBatch?: (phases: CommitPhases) => void,
  ) {}

  /** Resolves once the change is durable and visible; rejects with the failure of this change. */
  commit(item: CommitItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ ...item, resolve, reject });
      this.kick();
    });
  }

  /** Mean changes per batch so far (1 = no batching happened). */
  get meanBatch(): number {
    return this.batches === 0 ? 0 : this.items / this.batches;
  }

  private kick(): void {
    if (this.running || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.running = true;
    this.batches++;
    this.items += batch.length;
    void this.run(batch);
  }

  private async run(batch: Waiting[]): Promise<void> {
    let installed: Waiting[] = [];
    const t0 = performance.now();
    let t1 = t0;
    let t2 = t0;
    try {
      const synced = await this.syncAll(batch);
      t1 = performance.now();
      installed = await this.installAll(synced);
      t2 = performance.now();
    } finally {
      // The next batch's data sync may start now; this one's directory fsyncs run meanwhile.
      this.running = false;
      this.kick();
    }
    const byDir = new Map<string, { dir: Buffer; items: Waiting[] }>();
    for (const item of installed) {
      const key = item.dir.toString('latin1');
      const entry = byDir.get(key) ?? { dir: item.dir, items: [] };
      entry.items.push(item);
      byDir.set(key, entry);
    }
    await Promise.all(
      [...byDir.values()].map(({ dir, items }) =>
        this.dirs.sync(dir).then(
          () => items.forEach((item) => item.resolve()),
          (err: Error) => items.forEach((item) => item.reject(err)),
        ),
      ),
    );
    this.onBatch?.({ files: batch.length, dataMs: t1 - t0, renameMs: t2 - t1, dirMs: performance.now() - t2 });
  }

  /** Step 1: the data of every file durable; closes the files; returns those that succeeded. */
  private async syncAll(batch: Waiting[]): Promise<Waiting[]> {
    const files = batch.filter((item) => item.file !== undefined);
    const fds = files.map(({ file }) => ('fd' in file! ? file.fd : file!.handle.fd));
    const raw = files.map(({ file }) => 'fd' in file!);
    let errors: (string | null)[];
    const renamesNow = typeof this.syncRenames === 'function' ? this.syncRenames() : this.syncRenames;
    const renames = files.map(({ temp, target }) => (target === undefined || !renamesNow ? null : ([temp, target] as [Buffer, Buffer])));
    if (this.syncData !== undefined && files.length > 0) {
      const dirs = files.map(({ dir }) => dir);
      errors = await this.syncData(fds, raw, renames, dirs).catch(async (err: NodeJS.ErrnoException) => {
        await Promise.all(fds.map((fd, i) => (raw[i] ? closeRawFd(fd).catch(() => {}) : undefined)));
        return files.map(() => err.code ?? 'EIO');
      });
    } else {
      // Without the addon: an fsync per file, all at once (the journal shares fewer commits). fsync,
      // not fdatasync: the owner, mode and times set on the temporary are acknowledged too.
      errors = await Promise.all(fds.map((fd) => fsyncFd(fd).then(() => null, (err: NodeJS.ErrnoException) => err.code ?? 'EIO')));
      await Promise.all(fds.map((fd, i) => (raw[i] ? closeRawFd(fd).catch(() => {}) : undefined)));
    }
    await Promise.all(files.map(({ file }) => ('handle' in file! ? file.handle.close().catch(() => {}) : undefined)));
    const failed = new Map<Waiting, string>();
    files.forEach((item, i) => {
      const code = errors[i];
      if (code === null && this.syncData !== undefined && renames[i] !== null) item.installed = true;
      // The data is durable, only the plain rename failed: install() does what that case needs.
      else if (code !== null && code !== undefined && !code.startsWith('rename:')) failed.set(item, code);
    });
    const ok: Waiting[] = [];
    for (const item of batch) {
      const code = failed.get(item);
      if (code === undefined) {
        ok.push(item);
        continue;
      }
      await unlink(item.temp).catch(() => {});
      item.reject(new CommitFailed(`writing the new content failed (${code})`, code));
    }
    return ok;
  }

  /** Step 2: the renames; a failed one removes its temporary and fails that change. */
  private async installAll(items: Waiting[]): Promise<Waiting[]> {
    const results = await Promise.all(
      items.map((item) =>
        (item.installed ? Promise.resolve() : item.install()).then(
          () => true,
          async (err: Error) => {
            await unlink(item.temp).catch(() => {});
            item.reject(err);
            return false;
          },
        ),
      ),
    );
    return items.filter((_, i) => results[i]);
  }
}
