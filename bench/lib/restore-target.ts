/**
 * Where the backup benches restore to. By default (as root) each restore run gets a fresh
 * journaled ext4 of its own (own-fs.ts), for either tool alike: a restore target is normally not
 * a directory the same tool just deleted a million files from, and on this lab's journal-less
 * root ext4 creating files right after mass deletions costs the kernel CPU per inode
 * (fs/ext4/ialloc.c, recently_deleted), which made restore runs swing 3-5x and hit whichever
 * tool ran second (docs/backups.md, 2026-12-05). BENCH_RESTORE_FS=shared (or --shared-fs) restores
 * into the work directory and deletes it after, as before.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeOwnFs } from './own-fs.js';

export type RestoreFs = 'own' | 'shared';

export interface RestoreTarget {
  /** An empty directory to restore into (it may not exist yet: the tools create it). */
  readonly path: string;
  /** Unmounts the filesystem (own) or deletes the restored tree (shared). */
  dispose(): void;
}

/** own unless BENCH_RESTORE_FS=shared or --shared-fs, or not root (mount needs root); a bad value is refused. */
export function restoreFsWanted(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env, root = process.getuid?.() === 0): RestoreFs {
  const asked = env.BENCH_RESTORE_FS;
  if (asked !== undefined && asked !== 'own' && asked !== 'shared') throw new RangeError(`BENCH_RESTORE_FS: unknown value '${asked}' (own, shared)`);
  if (argv.includes('--shared-fs') || asked === 'shared') return 'shared';
  if (!root) {
    if (asked === 'own') throw new RangeError('BENCH_RESTORE_FS=own needs root (it mounts a filesystem)');
    return 'shared';
  }
  return 'own';
}

/**
 * Room for a restore of `files` files of `bytes` bytes in all: every file takes at least one 4 KiB
 * block, plus a quarter and 1 GiB for directories, the journal and metadata (the image is sparse).
 */
export function ownFsSize(files: number, bytes: number): { mib: number; inodes: number } {
  const mib = Math.ceil(((files * 4096 + bytes) * 1.25) / (1 << 20)) + 1024;
  return { mib, inodes: Math.max(65_536, Math.ceil(files * 1.1) + 10_000) };
}

/** A target named `name` under `work`, on a fresh filesystem of its own when `fs` is 'own'. */
export function restoreTarget(work: string, name: string, fs: RestoreFs, size: { files: number; bytes: number }): RestoreTarget {
  if (fs === 'shared') {
    const path = join(work, name);
    return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
  }
  const { mib, inodes } = ownFsSize(size.files, size.bytes);
  const own = makeOwnFs(work, mib, true, inodes);
  const path = join(own.path, name);
  try {
    mkdirSync(path);
  } catch (error) {
    own.dispose();
    throw error;
  }
  return { path, dispose: () => own.dispose() };
}
