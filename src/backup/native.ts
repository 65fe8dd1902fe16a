/**
 * The pieces of the native addon the backup subsystem uses, each optional: without the addon
 * (or with an older build) callers fall back to pure TypeScript (Poly1305) or to utimes.
 * HOTSTANDBY_BACKUP_NO_NATIVE=1 forces the fallbacks (tests of the pure paths).
 */
import { loadNative } from '../net/native.js';

export interface BackupNative {
  poly1305?(key: Uint8Array, message: Uint8Array): Buffer;
  /**
   * The chunker's hot loop, repo/chunker.ts's scan() with the same arguments and result
   * (native/chunk-scan.cc); `from` must be at least the window size (64).
   */
  chunkScan?(buf: Uint8Array, from: number, bound: number, firstCut: number, digest: Int32Array, table: Int32Array): number;
  setFileTimes?(path: string | Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number, noFollow: boolean): void;
  listXattrs?(path: string | Buffer): { name: string; value: Buffer }[];
  setXattr?(path: string | Buffer, name: string, value: Buffer): void;
  /** posix_fadvise(POSIX_FADV_DONTNEED) on a range (length 0: to the end); native/file-cache.cc. */
  dropFileCache?(fd: number, offset?: number, length?: number): void;
  /**
   * A small file opened (never following a symlink, never blocking on a fifo), fstat-ed, read
   * whole when it is a regular file of at most `limit` bytes, and closed, in one thread-pool job
   * (native/small-files.cc); `data` absent otherwise. With `into` (longer than `limit`), the
   * bytes are read into it and `length` says how many, instead of `data` (an older addon
   * ignores `into` and gives `data`).
   */
  readSmallFile?(path: string | Buffer, limit: number, into?: Buffer): Promise<SmallFileRead>;
  /**
   * A directory's entries with their lstat and, with `details`, their rdev, atime, symlink target
   * and xattrs, in one thread-pool job (native/scan-dir.cc; records parsed by scan-nodes.ts, which
   * is built with the addon of the same version).
   */
  scanDirectory?(path: string | Buffer, details: true): Promise<Buffer>;
  /**
   * A batch of a directory's small files read, checked and hashed in one thread-pool job, the
   * records and then their bytes written into `into`; resolves the bytes used
   * (native/hash-files.cc; parsed by small-file-batches.ts).
   */
  hashFiles?(dir: string | Buffer, names: Buffer, limit: number, into: Buffer): Promise<number>;
}

export interface SmallFileRead {
  type: 'file' | 'dir' | 'other';
  data?: Buffer;
  length?: number;
}

let binding: BackupNative | null | undefined;

export function backupNative(): BackupNative | null {
  if (binding === undefined) {
    try {
      binding = process.env.HOTSTANDBY_BACKUP_NO_NATIVE === '1' ? null : loadNative();
    } catch {
      binding = null;
    }
  }
  return binding;
}
