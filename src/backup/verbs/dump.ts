/**
 * `backup dump SNAPSHOT PATH`: a file's content, or a directory as a pax tar archive (as `restic
 * dump` does: entries named by their path in the snapshot without the leading "/"; hard links
 * written as files; sockets left out).
 */
import type { Writable } from 'node:stream';
import type { Id } from '../repo/id.js';
import type { Repository } from '../repo/repository.js';
import { nameToBytes } from '../repo/names.js';
import { unixPermFromGoMode, type TreeNode } from '../repo/tree.js';
import { walkTree } from '../walk.js';
import { devMajor, devMinor } from '../device.js';
import { locate } from './lookup.js';
import { TAR_END, tarHeader, tarPadding, type TarEntryType } from './tar.js';

export interface DumpStats {
  entries: number;
  bytes: number;
}

/** Writes with back-pressure; rejects when the stream fails (e.g. a closed pipe). */
export function writeTo(out: Writable, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(data, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else {
      const done = () => {
        out.off('error', reject);
        resolve();
      };
      out.once('drain', done);
      out.once('error', reject);
    }
  });
}

async function writeContent(repo: Repository, node: TreeNode, out: Writable, stats: DumpStats): Promise<void> {
  for (const id of node.content ?? []) {
    const data = await repo.loadBlob('data', id);
    await writeTo(out, data);
    stats.bytes += data.length;
  }
}

const TAR_TYPE: Partial<Record<TreeNode['type'], TarEntryType>> = { file: 'file', dir: 'dir', symlink: 'symlink', dev: 'blockdev', chardev: 'chardev', fifo: 'fifo' };

async function tarEntry(repo: Repository, path: string, node: TreeNode, out: Writable, stats: DumpStats): Promise<void> {
  const type = TAR_TYPE[node.type];
  if (!type) return;
  const size = node.type === 'file' ? node.size ?? 0 : 0;
  await writeTo(
    out,
    tarHeader({
      path: nameToBytes(path.replace(/^\/+/, '')),
      type,
      mode: unixPermFromGoMode(node.mode),
      uid: node.uid,
      gid: node.gid,
      ...(node.user ? { uname: node.user } : {}),
      ...(node.group ? { gname: node.group } : {}),
      size,
      mtime: node.mtime,
      atime: node.atime,
      ctime: node.ctime,
      ...(node.linktarget !== undefined && type === 'symlink' ? { linkpath: nameToBytes(node.linktarget) } : {}),
      ...(node.device !== undefined ? { devmajor: devMajor(node.device), devminor: devMinor(node.device) } : {}),
      ...(node.extendedAttributes ? { xattrs: node.extendedAttributes } : {}),
    }),
  );
  stats.entries++;
  if (type !== 'file') return;
  const before = stats.bytes;
  await writeContent(repo, node, out, stats);
  const written = stats.bytes - before;
  if (written !== size) throw new Error(`${path}: the snapshot says ${size} bytes but its content has ${written}`);
  await writeTo(out, tarPadding(size));
}

/** Writes the tar archive of everything below tree `tree` (whose path is `prefix`). */
export async function dumpTar(repo: Repository, tree: Id, prefix: string, out: Writable): Promise<DumpStats> {
  const stats: DumpStats = { entries: 0, bytes: 0 };
  for await (const { path, node } of walkTree(repo, tree, prefix === '/' ? '' : prefix)) await tarEntry(repo, path, node, out, stats);
  await writeTo(out, TAR_END);
  return stats;
}

/** `dump`: the file at `path` in the snapshot tree `root` as its bytes, a directory as tar. */
export async function dump(repo: Repository, root: Id, path: string, out: Writable): Promise<DumpStats & { kind: 'file' | 'tar' }> {
  await repo.loadIndex();
  const at = await locate(repo, root, path);
  if (at.node?.type === 'file') {
    const stats: DumpStats = { entries: 1, bytes: 0 };
    await writeContent(repo, at.node, out, stats);
    return { ...stats, kind: 'file' };
  }
  if (at.tree === undefined) {
    if (at.node?.type === 'dir') return { ...(await dumpEmpty(out)), kind: 'tar' };
    throw new RangeError(`${at.path} is a ${at.node?.type ?? 'node'}: dump writes files and directories`);
  }
  return { ...(await dumpTar(repo, at.tree, at.path, out)), kind: 'tar' };
}

async function dumpEmpty(out: Writable): Promise<DumpStats> {
  await writeTo(out, TAR_END);
  return { entries: 0, bytes: 0 };
}
