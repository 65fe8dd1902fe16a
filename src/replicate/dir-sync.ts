/**
 * fsyncs by path, coalesced. After a rename the directory must be fsynced before the change is
 * acknowledged, and each such fsync is a journal commit (~4 ms here). Renames into the same
 * directory that wait together share one: a call joins the fsync that has not started yet, or
 * queues one to start after the running one (which may have begun before its rename).
 *
 * A change of attributes only (mode, owner, extended attributes of a file or directory that
 * stays where it is) has no rename and no directory change to ride on: its own inode is fsynced
 * (`syncInode`), coalesced the same way, before it is acknowledged.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';

/** fsync(2) of the file or directory at `path` (never through a final symlink). */
export type FsyncPath = (path: Buffer) => Promise<void>;

/** open (read-only: fsync needs no write access), fsync, close. */
export const fsyncPath: FsyncPath = async (path) => {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

export class DirSyncs {
  private readonly state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  constructor(private readonly fsync: FsyncPath = fsyncPath) {}

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: Buffer): Promise<void> {
    const key = dir.toString('latin1');
    const current = this.state.get(key);
    if (current === undefined) return this.start(key, dir);
    current.next ??= current.running.catch(() => {}).then(() => this.start(key, dir));
    return current.next;
  }

  /** The same for a file or directory whose own attributes changed (an inode is an inode to fsync). */
  syncInode(path: Buffer): Promise<void> {
    return this.sync(path);
  }

  private start(key: string, dir: Buffer): Promise<void> {
    const running = this.fsync(dir).finally(() => {
      const entry = this.state.get(key);
      if (entry?.running !== running) return;
      if (entry.next === undefined) this.state.delete(key);
    });
    const entry = this.state.get(key);
    if (entry === undefined) this.state.set(key, { running });
    else {
      entry.running = running;
      entry.next = undefined;
    }
    return running;
  }
}
