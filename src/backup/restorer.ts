/**
 * `backup restore`: recreates a snapshot's tree below a target directory, like `restic restore`
 * (the snapshot's paths appear below the target). File contents, modes, owners (when root),
 * symlinks, hard links (files with the same device and inode) and times; a directory's metadata is set after its entries so that writing them
 * does not change its mtime.
 */
import { chmodSync, closeSync, lchownSync, open as openCallback, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { link, lutimes, mkdir, open, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Id } from './repo/id.js';
import type { Repository } from './repo/repository.js';
import { decodeTree, unixPermFromGoMode, type TreeNode } from './repo/tree.js';
import type { GoTime } from './repo/go-json.js';
import { setTimesNs } from './times.js';
import { fsPath } from './repo/names.js';
import { forEachLimit } from './concurrency.js';

export interface RestoreOptions {
  target: string;
  /** Restore ownership (default: when running as root). */
  owners?: boolean;
}

export interface RestoreStats {
  files: number;
  dirs: number;
  symlinks: number;
  skipped: number;
  bytesWritten: number;
}

const isRoot = () => process.getuid?.() === 0;
const openFd = promisify(openCallback);
/** Entries of one directory restored at once. */
const ENTRY_CONCURRENCY = 8;

export class Restorer {
  readonly stats: RestoreStats = { files: 0, dirs: 0, symlinks: 0, skipped: 0, bytesWritten: 0 };
  private readonly owners: boolean;
  /** The first restored path of each multiply-linked file, by device and inode (restic does the same). */
  private readonly hardlinks = new Map<string, string>();

  constructor(private readonly repo: Repository, private readonly options: RestoreOptions) {
    this.owners = options.owners ?? isRoot();
  }

  /**
   * Restores a tree's entries into `dir`: files and symlinks ENTRY_CONCURRENCY at a time (the file
   * system's latency overlaps), then subdirectories one after the other; hard links after the
   * rest, so that the first path of each multiply-linked file exists by then.
   */
  async restoreTree(treeId: Id, dir: string): Promise<void> {
    const nodes = decodeTree(await this.repo.loadBlob('tree', treeId));
    for (const node of nodes) {
      if (node.name === '' || node.name === '.' || node.name === '..' || node.name.includes('/')) throw new RangeError(`Refusing to restore a node named ${JSON.stringify(node.name)}`);
    }
    const linked = (n: TreeNode) => n.type === 'file' && (n.links ?? 0) > 1 && !!n.inode;
    const flat = nodes.filter((n) => n.type !== 'dir' && !linked(n));
    await forEachLimit(flat.length, ENTRY_CONCURRENCY, (i) => this.restoreNode(flat[i]!, join(dir, flat[i]!.name)));
    for (const node of nodes) if (node.type === 'dir' || linked(node)) await this.restoreNode(node, join(dir, node.name));
  }

  private async restoreNode(node: TreeNode, path: string): Promise<void> {
    switch (node.type) {
      case 'dir':
        await mkdir(fsPath(path), { recursive: true, mode: 0o700 });
        if (node.subtree) await this.restoreTree(node.subtree, path);
        await this.setMetadata(node, path);
        this.stats.dirs++;
        return;
      case 'file': {
        const key = (node.links ?? 0) > 1 && node.inode ? `${node.deviceId ?? 0}:${node.inode}` : undefined;
        const first = key === undefined ? undefined : this.hardlinks.get(key);
        if (first !== undefined) {
          await link(fsPath(first), fsPath(path));
          this.stats.files++;
          return;
        }
        if (key !== undefined) this.hardlinks.set(key, path);
        await this.writeFile(node, path);
        await this.setMetadata(node, path);
        this.stats.files++;
        return;
      }
      case 'symlink':
        await symlink(node.linktarget ?? '', fsPath(path));
        await this.setMetadata(node, path);
        this.stats.symlinks++;
        return;
      default:
        this.stats.skipped++;
    }
  }

  private async writeFile(node: TreeNode, path: string): Promise<void> {
    const content = node.content ?? [];
    if (content.length <= 1) {
      // One blob or none (most files): read it, create the file (in the thread pool: creating a
      // file in a large directory is the slow call, and the pool does several at once), then
      // write and close it synchronously: on page cache those take microseconds, less than
      // another round trip through the pool, which on a busy machine costs far more.
      const data = content.length === 1 ? await this.repo.loadBlob('data', content[0]!) : undefined;
      const fd = await openFd(fsPath(path), 'wx', 0o600);
      try {
        let done = 0;
        while (data && done < data.length) done += writeSync(fd, data, done, data.length - done);
        this.stats.bytesWritten += data?.length ?? 0;
      } finally {
        closeSync(fd);
      }
      return;
    }
    const fh = await open(fsPath(path), 'wx', 0o600);
    try {
      for (const id of node.content ?? []) {
        const data = await this.repo.loadBlob('data', id);
        let done = 0;
        while (done < data.length) done += (await fh.write(data, done, data.length - done)).bytesWritten;
        this.stats.bytesWritten += data.length;
      }
    } finally {
      await fh.close();
    }
  }

  private async setMetadata(node: TreeNode, path: string): Promise<void> {
    const symlinkNode = node.type === 'symlink';
    if (this.owners) {
      try {
        lchownSync(fsPath(path), node.uid, node.gid);
      } catch (err) {
        if (isRoot()) throw err;
      }
    }
    if (!symlinkNode) chmodSync(fsPath(path), unixPermFromGoMode(node.mode));
    await setTimes(path, node.atime, node.mtime, symlinkNode);
  }
}

async function setTimes(path: string, atime: GoTime, mtime: GoTime, symlinkNode: boolean): Promise<void> {
  if (setTimesNs(path, atime, mtime, symlinkNode)) return;
  const a = atime.sec + atime.nsec / 1e9;
  const m = mtime.sec + mtime.nsec / 1e9;
  if (symlinkNode) await lutimes(fsPath(path), a, m);
  else await utimes(fsPath(path), a, m);
}

/** Restores snapshot tree `treeId` below `options.target`. */
export async function restore(repo: Repository, treeId: Id, options: RestoreOptions): Promise<RestoreStats> {
  await mkdir(options.target, { recursive: true });
  await repo.loadIndex();
  const r = new Restorer(repo, options);
  await r.restoreTree(treeId, options.target);
  return r.stats;
}
