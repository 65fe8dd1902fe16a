/**
 * The pieces of the native addon the backup subsystem uses, each optional: without the addon
 * (or with an older build) callers fall back to pure TypeScript (Poly1305) or to utimes.
 * HOTSTANDBY_BACKUP_NO_NATIVE=1 forces the fallbacks (tests of the pure paths).
 */
import { loadNative } from '../net/native.js';

export interface BackupNative {
  poly1305?(key: Uint8Array, message: Uint8Array): Buffer;
  setFileTimes?(path: string | Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number, noFollow: boolean): void;
  listXattrs?(path: string | Buffer): { name: string; value: Buffer }[];
  setXattr?(path: string | Buffer, name: string, value: Buffer): void;
  /** posix_fadvise(POSIX_FADV_DONTNEED) on a range (length 0: to the end); native/file-cache.cc. */
  dropFileCache?(fd: number, offset?: number, length?: number): void;
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
