/**
 * Directory fsyncs, coalesced. After a rename the directory must be fsynced before the change is
 * acknowledged, and each such fsync is a journal commit (~4 ms here). Renames into the same
 * directory that wait together share one: a call joins the fsync that has not started yet, or
 * queues one to start after the running one (which may have begun before its rename).
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';

async function fsyncDir(dir: Buffer): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class DirSyncs {
  private readonly state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: Buffer): Promise<void> {
    const key = dir.toString('latin1');
    const current = this.state.get(key);
    if (current === undefined) return this.start(key, dir);
    current.next ??= current.running.catch(() => {}).then(() => this.start(key, dir));
    return current.next;
  }

  private start(key: string, dir: Buffer): Promise<void> {
    const running = fsyncDir(dir).finally(() => {
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
