/**
 * A streamed file's data on the replica written past the page cache (O_DIRECT), through the
 * addon's writeDirect (native/direct-write.cc), where the partial file is on ext4 or xfs.
 *
 * Why: writing a large new file through write(2) was most of the replica's CPU for a new large
 * file on the project's VMs (fresh page-cache pages: ~1.8 s of system CPU per 256 MiB), where the
 * same bytes written O_DIRECT cost a few hundredths of a second (docs/replication.md, "large
 * files"). The replica does not read the file back (it checks the SHA-256 of what it received),
 * so nothing is lost by not caching it.
 *
 * Why only ext4 and xfs: that is where the group commit's reasoning for durability is the
 * journal's (native/sync-batch.cc): a direct write is on the device when pwrite returns, and the
 * journal commit forced by the directory fsync (block allocation and size in it) flushes the
 * device cache before its commit record; on ext4 without a journal the group commit fsyncs the
 * file instead, which writes its inode and flushes the cache. tmpfs has no disk (direct would
 * gain nothing), and other filesystems keep the page-cache path they were tested with (btrfs,
 * say, checksums direct I/O differently).
 */
import { constants as fsConstants } from 'node:fs';
import { open, statfs, type FileHandle } from 'node:fs/promises';

/** The addon's call (native/direct-write.cc): `directFd` -1 writes everything buffered. */
export interface DirectWritePort {
  writeDirect?(directFd: number, bufferedFd: number, pieces: readonly Buffer[], offset: number): Promise<{ written: number; direct: number }>;
}

/** statfs(2) f_type of the filesystems whose journal orders data (as native/sync-batch.cc). */
const EXT4_MAGIC = 0xef53;
const XFS_MAGIC = 0x58465342;

/**
 * `temp` opened a second time with O_DIRECT when the addon has writeDirect and its filesystem is
 * ext4 or xfs; undefined otherwise (or if the open fails: the page cache is used, as before).
 */
export async function openDirect(port: DirectWritePort, temp: Buffer): Promise<FileHandle | undefined> {
  if (port.writeDirect === undefined || fsConstants.O_DIRECT === undefined) return undefined;
  try {
    const { type } = await statfs(temp);
    if (type !== EXT4_MAGIC && type !== XFS_MAGIC) return undefined;
    return await open(temp, fsConstants.O_WRONLY | fsConstants.O_DIRECT);
  } catch {
    return undefined;
  }
}

/**
 * Writes `pieces` at `offset`: through writeDirect when `direct` is open, else one write(v) on
 * `file`. Resolves the bytes written (all, or it throws: a short count is ENOSPC).
 */
export async function writePieces(port: DirectWritePort, file: FileHandle, direct: FileHandle | undefined, pieces: readonly Buffer[], offset: number): Promise<number> {
  if (direct !== undefined && port.writeDirect !== undefined) return (await port.writeDirect(direct.fd, file.fd, pieces, offset)).written;
  const length = pieces.reduce((n, part) => n + part.length, 0);
  const { bytesWritten } = pieces.length === 1 ? await file.write(pieces[0]!, 0, length, offset) : await file.writev(pieces as Buffer[], offset);
  return bytesWritten;
}
