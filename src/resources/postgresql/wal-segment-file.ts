/**
 * A zero-filled WAL segment file put into pg_wal atomically (the restic way: a temporary name,
 * fsync, then link(2) to the real name, fsync of the directory), owned by the cluster's user with mode 0600 as
 * PostgreSQL's own (pg_file_create_mode). Which name to make is wal-prealloc.ts's decision.
 */
import { constants } from 'node:fs';
import { link, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../../util/sync-dir.js';

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

const CHUNK = 1 << 20;

/**
 * Makes pg_wal/<name> as `size` zero bytes unless a file of that name exists (PostgreSQL's, or
 * ours from before: either is left as it is). Returns whether it made it.
 */
export async function ensureZeroSegment(walDir: string, name: string, size: number, owner: FileOwner, signal?: AbortSignal): Promise<boolean> {
  const path = join(walDir, name);
  if (await exists(path)) return false;
  const tmp = join(walDir, `${name}.hotstandby-tmp`);
  const zeros = Buffer.alloc(CHUNK);
  // O_EXCL: a leftover temporary file (a crash mid-write) is removed first, never written through.
  await unlink(tmp).catch(() => undefined);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.chown(owner.uid, owner.gid);
    for (let written = 0; written < size; written += CHUNK) {
      signal?.throwIfAborted();
      await handle.write(zeros, 0, Math.min(CHUNK, size - written), written);
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  // link(2), not rename(2): it fails with EEXIST instead of replacing a file PostgreSQL made under
  // that name meanwhile (a rename would put zeros in place of a segment it may be writing).
  try {
    await link(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(walDir);
  return true;
}

/**
 * Removes pg_wal/<name> only if it is still exactly what ensureZeroSegment made: `size` bytes of
 * zeros (a file PostgreSQL wrote into is never removed), and `stillOurs()` says yes right before
 * the unlink (the caller's last check). Returns whether it removed it.
 */
export async function removeZeroSegment(walDir: string, name: string, size: number, stillOurs: () => Promise<boolean> = async () => true): Promise<boolean> {
  const path = join(walDir, name);
  if (!(await isZeroSegment(path, size)) || !(await stillOurs())) return false;
  await unlink(path);
  await syncDir(walDir);
  return true;
}

/**
 * Gives our zero segment `from` the name `to` instead of writing 16 MB anew: only if `from` is
 * still `size` bytes of zeros and `stillOurs()` agrees right before, and never over an existing
 * `to` (link(2), then unlink of the old name). Returns whether it moved it.
 */
export async function moveZeroSegment(walDir: string, from: string, to: string, size: number, stillOurs: () => Promise<boolean>): Promise<boolean> {
  if (!(await isZeroSegment(join(walDir, from), size)) || !(await stillOurs())) return false;
  try {
    await link(join(walDir, from), join(walDir, to));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    throw error;
  }
  await unlink(join(walDir, from));
  await syncDir(walDir);
  return true;
}

async function isZeroSegment(path: string, size: number): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    if ((await handle.stat()).size !== size) return false;
    const buffer = Buffer.alloc(CHUNK);
    for (let offset = 0; offset < size; offset += CHUNK) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, offset);
      if (bytesRead === 0 || buffer.subarray(0, bytesRead).some((b) => b !== 0)) return false;
    }
    return true;
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
