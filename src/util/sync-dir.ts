/**
 * fsync(2) of a directory: what makes a name made in it (create, link, rename, unlink) durable.
 * POSIX leaves a new name's durability to the directory's own fsync.
 */
import { open } from 'node:fs/promises';

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
