/**
 * `backup restore`: recreates a snapshot's tree below a target directory, like `restic restore`
 * (the snapshot's paths appear below the target). File contents, modes, owners (when root),
 * symlinks, hard links (files with the same device and inode) and times; a directory's metadata is set after its entries so that writing them
 * does not change its mtime.
 */
import { chmodSync, closeSync, ftruncateSync, lchownSync, open as openCallback, writeSync } from 'node:fs';
import { link, lutimes, mkdir, open, symlink, utimes } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Id } from './repo/id.js';
import type { Repository } from './repo/repository.js';
import { decodeTree, unixPermFromGoMode, type TreeNode } from './repo/tree.js';
import type { GoTime } from './repo/go-json.js';
import { setTimesNs } from './times.js';
import { devMajor, devMinor } from './device.js';
import { writeXattrs } from './xattr.js';
import { fsPath } from './repo/names.js';
import { forEachLimit, Semaphore, Settling } from './concurrency.js';
import { RestorePool, defaultRestoreWorkers } from './restore-pool.js';
import { isZeros } from './zeros.js';
import { NotFoundError } from './repo/backend.js';
import type { BlobLocation } from './repo/blob-index.js';
import { CRYPTO_OVERHEAD } from './repo/crypto.js';

export interface RestoreOptions {
  target: string;
  /** Restore ownership (default: when running as root). */
  owners?: boolean;
  /**
   * Which entries to restore, by their path in the snapshot ("/srv/x"): `restore` for the entry
   * itself, `descend` to look below a directory (restic's SelectFilter). Default: everything.
   * Directories walked through but not selected get their metadata once an entry below them is
   * restored (as restic's restorer); those with nothing restored below are not made.
   */
  select?: (path: string, node: TreeNode) => { restore: boolean; descend: boolean };
  /** Counters to update as the restore goes (a progress display reads them). */
  stats?: RestoreStats;
  /**
   * Threads that restore file contents (restore-pool.ts; default: one per core, at most 4). 0:
   * everything on the main thread, as does a repository with an injected compression codec.
   */
  workers?: number;
  /** Called once the index is loaded, before anything is restored (a progress display may walk the tree beside). */
  onIndexLoaded?: () => void;
}

export interface RestoreStats {
  files: number;
  dirs: number;
  symlinks: number;
  skipped: number;
  /** Named pipes and device nodes. */
  others?: number;
  /** Extended attributes the target filesystem refused. */
  xattrsSkipped?: number;
  bytesWritten: number;
}

const isRoot = () => process.getuid?.() === 0;
const openFd = promisify(openCallback);
/** Entries of one directory restored at once. */
const ENTRY_CONCURRENCY = 8;
/**
 * A file of one blob stored in at most this many bytes is restored on the main thread: a round
 * trip to a worker costs more than opening so small a blob (and a single small file is restored
 * without starting the workers at all).
 */
const INLINE_MAX_BYTES = 64 * 1024;
/**
 * Such small files of one directory go to the workers in batches of at most this many, each
 * restored whole there (restore-pool.ts restoreFiles): creating a file is the slow call, and the
 * main thread then only walks the trees. A directory's files are split evenly over at least as
 * many batches as there are workers (each batch BATCH_MIN files or more): 40 files went as 32 and
 * 8, and one worker idled through most of each directory. Fewer than BATCH_MIN of them in a
 * directory are restored on the main thread, so that restoring one file starts no worker.
 */
const BATCH_FILES = 32;
const BATCH_MIN = 8;
/** Directories whose files may be under way at once (walkTree); each holds its decoded tree meanwhile. */
const DIRS_IN_FLIGHT = 4;

/** How many batches `files` small files of one directory go in (see BATCH_FILES). */
export function batchCount(files: number, workers: number): number {
  return Math.max(Math.ceil(files / BATCH_FILES), Math.min(workers, Math.floor(files / BATCH_MIN)));
}

export class Restorer {
  readonly stats: RestoreStats;
  private readonly owners: boolean;
  /** The first restored path of each multiply-linked file, by device and inode (restic does the same). */
  private readonly hardlinks = new Map<string, string>();
  /** Directories whose files are under way (walkTree). */
  private readonly inFlight = new Semaphore(DIRS_IN_FLIGHT);
  /** The first failure of the restore: the walk stops at it. */
  private failure: { err: unknown } | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly options: RestoreOptions,
    private readonly pool?: RestorePool,
  ) {
    this.owners = options.owners ?? isRoot();
    this.stats = options.stats ?? { files: 0, dirs: 0, symlinks: 0, skipped: 0, bytesWritten: 0 };
  }

  /**
   * Restores a tree's entries into `dir` (those `select` picks); resolves once all of them are
   * restored. See walkTree.
   */
  async restoreTree(treeId: Id, dir: string, inSnapshot = ''): Promise<void> {
    await (await this.walkTree(treeId, dir, inSnapshot)).done;
  }

  /**
   * Walks a tree: starts its files, symlinks and special files (ENTRY_CONCURRENCY at a time, the
   * small files in batches in the workers) and, without waiting for them, walks its
   * subdirectories one after the other, so that the next directories' files are under way while
   * the last ones of this one finish (waiting for each directory left one of two workers idle at
   * its end). At most DIRS_IN_FLIGHT directories have files under way: the walk waits for room.
   * Hard-linked files are restored in the walk, in order, after the rest of their directory was
   * started, so that the first path of each multiply-linked file exists by the next. Resolves
   * once walked, with `done`: settled once every entry below is restored and each directory's
   * metadata set (after its entries, whose creation changes its mtime); it rejects with the first
   * failure only once everything under way has settled. `restored` says whether anything at or
   * below this tree was selected: as restic's restorer (childHasRestored), a directory walked
   * only to reach selected entries gets its metadata too, and counts as restored.
   */
  private async walkTree(treeId: Id, dir: string, inSnapshot: string): Promise<{ done: Promise<void>; restored: boolean }> {
    const nodes = decodeTree(await this.repo.loadBlob('tree', treeId));
    const todo: { node: TreeNode; at: string; restore: boolean }[] = [];
    for (const node of nodes) {
      if (node.name === '' || node.name === '.' || node.name === '..' || node.name.includes('/')) throw new RangeError(`Refusing to restore a node named ${JSON.stringify(node.name)}`);
      const at = `${inSnapshot}/${node.name}`;
      const choice = this.options.select?.(at, node) ?? { restore: true, descend: true };
      if (choice.restore) todo.push({ node, at, restore: true });
      else if (choice.descend && node.type === 'dir' && node.subtree) todo.push({ node, at, restore: false });
    }
    const linked = (n: TreeNode) => n.type === 'file' && (n.links ?? 0) > 1 && !!n.inode;
    const flat = todo.filter((t) => t.restore && t.node.type !== 'dir' && !linked(t.node));
    let batched = this.pool ? flat.filter((t) => this.batchable(t.node)) : [];
    if (batched.length < BATCH_MIN) batched = [];
    const inBatch = new Set(batched);
    const single = flat.filter((t) => !inBatch.has(t));
    const below = new Settling();
    let restored = todo.some((t) => t.restore);
    if (flat.length > 0) {
      await this.inFlight.acquire();
      below.add(
        (async () => {
          try {
            const settled = await Promise.allSettled([
              this.restoreInBatches(this.pool!, batched.map((t) => t.node), dir),
              forEachLimit(single.length, ENTRY_CONCURRENCY, (i) => this.restoreNode(single[i]!.node, join(dir, single[i]!.node.name), single[i]!.at)),
            ]);
            const failed = settled.find((r) => r.status === 'rejected');
            if (failed) throw (this.failure ??= { err: (failed as PromiseRejectedResult).reason }).err;
          } finally {
            this.inFlight.release();
          }
        })(),
      );
    }
    try {
      const done = new Set(flat);
      for (const t of todo) {
        if (done.has(t)) continue;
        if (this.failure) throw this.failure.err; // anywhere: walk no further
        if (t.node.type === 'dir' && t.node.subtree) {
          const path = join(dir, t.node.name);
          if (t.restore) await mkdir(fsPath(path), { recursive: true, mode: 0o700 });
          const sub = await this.walkTree(t.node.subtree, path, t.at);
          restored ||= sub.restored;
          // Made here too if all it gets is a socket (which is not restored).
          const reached = () => mkdir(fsPath(path), { recursive: true, mode: 0o700 }).then(() => this.finishDir(t.node, path));
          below.add(t.restore ? sub.done.then(() => this.finishDir(t.node, path)) : sub.restored ? sub.done.then(reached) : sub.done);
        } else if (t.restore) await this.restoreNode(t.node, join(dir, t.node.name), t.at);
      }
    } catch (err) {
      this.failure ??= { err };
      below.add(Promise.reject(err));
    }
    return { done: below.close(), restored };
  }

  /** A restored directory's metadata, once its entries are restored. */
  private async finishDir(node: TreeNode, path: string): Promise<void> {
    await this.setMetadata(node, path);
    this.stats.dirs++;
  }

  /** A file the workers restore whole: one small blob (in the index) or none, no xattrs, not hard-linked. */
  private batchable(node: TreeNode): boolean {
    if (node.type !== 'file' || node.extendedAttributes?.length) return false;
    const content = node.content ?? [];
    if (content.length === 0) return true;
    const loc = content.length === 1 ? this.repo.lookup('data', content[0]!) : undefined;
    return !!loc && loc.length <= INLINE_MAX_BYTES;
  }

  /** Restores small files of `dir` whole in the workers, in batchCount() even jobs; a failure names its file. */
  private async restoreInBatches(pool: RestorePool, nodes: readonly TreeNode[], dir: string): Promise<void> {
    if (nodes.length === 0) return;
    // Only a selective restore can reach a file whose directory was not restored.
    if (this.options.select) await mkdir(fsPath(dir), { recursive: true, mode: 0o700 });
    const strict = isRoot();
    const batches = batchCount(nodes.length, pool.workers);
    await forEachLimit(batches, batches, async (b) => {
      const part = nodes.slice(Math.floor((b * nodes.length) / batches), Math.floor(((b + 1) * nodes.length) / batches));
      const files = part.map((node) => {
        const id = node.content?.[0];
        return { path: fsPath(join(dir, node.name)), ...(id ? { id, loc: this.repo.lookup('data', id)! } : {}), uid: node.uid, gid: node.gid, perm: unixPermFromGoMode(node.mode), atime: node.atime, mtime: node.mtime };
      });
      const r = await pool.restoreFiles(files, this.owners, strict);
      this.stats.files += r.done;
      this.stats.bytesWritten += r.bytes;
      if (r.error !== undefined) throw new Error(`Cannot restore ${join(dir, part[r.done]!.name)}: ${r.error}`);
    });
  }

  private async restoreNode(node: TreeNode, path: string, inSnapshot: string): Promise<void> {
    switch (node.type) {
      case 'dir':
        await mkdir(fsPath(path), { recursive: true, mode: 0o700 });
        if (node.subtree) await this.restoreTree(node.subtree, path, inSnapshot);
        await this.finishDir(node, path);
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
        // Only a selective restore can reach a file whose directory was not restored.
        if (this.options.select) await mkdir(fsPath(dirname(path)), { recursive: true, mode: 0o700 });
        try {
          await this.writeFile(node, path);
        } catch (err) {
          // The file is named (a damaged pack, a missing blob): the error keeps its class.
          if (err instanceof Error) err.message = `Cannot restore ${path}: ${err.message}`;
          throw err;
        }
        await this.setMetadata(node, path);
        this.stats.files++;
        return;
      }
      case 'symlink':
        await mkdir(fsPath(dirname(path)), { recursive: true, mode: 0o700 });
        await symlink(node.linktarget ?? '', fsPath(path));
        await this.setMetadata(node, path);
        this.stats.symlinks++;
        return;
      case 'fifo':
      case 'dev':
      case 'chardev':
        // As restic's Node.CreateAt: named pipes and device nodes are made again; sockets are not.
        await mkdir(fsPath(dirname(path)), { recursive: true, mode: 0o700 });
        await makeSpecial(node, path);
        await this.setMetadata(node, path);
        this.stats.others = (this.stats.others ?? 0) + 1;
        return;
      default:
        this.stats.skipped++;
    }
  }

  /**
   * Writes a file's chunks in order. A chunk of zeros is not written but skipped over, so a
   * sparse file (or a run of zeros) is restored with holes, and the size set at the end.
   */
  private async writeFile(node: TreeNode, path: string): Promise<void> {
    const content = node.content ?? [];
    const locs = content.map((id) => {
      const loc = this.repo.lookup('data', id);
      if (!loc) throw new NotFoundError(`data blob ${id} is not in the index`);
      return loc;
    });
    if (this.pool && (content.length > 1 || (locs[0]?.length ?? 0) > INLINE_MAX_BYTES)) return this.writeInWorkers(this.pool, content, locs, path);
    if (content.length <= 1) {
      // One blob or none (most files): read it, create the file (in the thread pool: creating a
      // file in a large directory is the slow call, and the pool does several at once), then
      // write and close it synchronously: on page cache those take microseconds, less than
      // another round trip through the pool, which on a busy machine costs far more.
      const data = content.length === 1 ? await this.repo.loadBlob('data', content[0]!) : undefined;
      const fd = await openFd(fsPath(path), 'wx', 0o600);
      try {
        if (data && isZeros(data)) ftruncateSync(fd, data.length); // a hole, as below
        else {
          let done = 0;
          while (data && done < data.length) done += writeSync(fd, data, done, data.length - done);
        }
        this.stats.bytesWritten += data?.length ?? 0;
      } finally {
        closeSync(fd);
      }
      return;
    }
    const fh = await open(fsPath(path), 'wx', 0o600);
    try {
      let pos = 0;
      for (const id of node.content ?? []) {
        const data = await this.repo.loadBlob('data', id);
        if (!isZeros(data)) {
          let done = 0;
          while (done < data.length) done += (await fh.write(data, done, data.length - done, pos + done)).bytesWritten;
        }
        pos += data.length;
        this.stats.bytesWritten += data.length;
      }
      await fh.truncate(pos);
    } finally {
      await fh.close();
    }
  }

  /**
   * Hands each blob of the file to the restore workers, which write it at its offset (known from
   * the index: the uncompressed length, or the stored one less the encryption's overhead); the
   * size is set at the end, so that blobs of zeros the workers skipped are holes. The file is
   * closed only once every write has settled, even after a failure: a worker may still be
   * writing to the descriptor.
   */
  private async writeInWorkers(pool: RestorePool, content: readonly Id[], locs: readonly BlobLocation[], path: string): Promise<void> {
    const fd = await openFd(fsPath(path), 'wx', 0o600);
    let size = 0;
    const writes: Promise<unknown>[] = [];
    try {
      for (const [i, loc] of locs.entries()) {
        writes.push(pool.write(content[i]!, loc, fd, size).then((r) => (this.stats.bytesWritten += r.bytes)));
        size += loc.uncompressedLength ?? loc.length - CRYPTO_OVERHEAD;
      }
      const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      ftruncateSync(fd, size);
    } finally {
      await Promise.allSettled(writes);
      closeSync(fd);
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
    if (node.extendedAttributes?.length) this.stats.xattrsSkipped = (this.stats.xattrsSkipped ?? 0) + writeXattrs(path, node.extendedAttributes).length;
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

/** mkfifo(1) / mknod(1): Node has no mknod(2). */
async function makeSpecial(node: TreeNode, path: string): Promise<void> {
  const args =
    node.type === 'fifo'
      ? ['mkfifo', '-m', '600', '--', path]
      : ['mknod', '-m', '600', '--', path, node.type === 'dev' ? 'b' : 'c', String(devMajor(node.device ?? 0)), String(devMinor(node.device ?? 0))];
  await new Promise<void>((resolve, reject) =>
    execFile(args[0]!, args.slice(1), (err, _out, stderr) => (err ? reject(new Error(`${args[0]} ${path}: ${stderr.trim() || err.message}`)) : resolve())),
  );
}

/** Restores snapshot tree `treeId` below `options.target`. */
export async function restore(repo: Repository, treeId: Id, options: RestoreOptions): Promise<RestoreStats> {
  await mkdir(options.target, { recursive: true });
  await repo.loadIndex();
  options.onIndexLoaded?.();
  const workers = options.workers ?? defaultRestoreWorkers();
  const pool = workers > 0 && repo.opensInWorkers ? new RestorePool(repo.key, repo.backend, workers) : undefined;
  try {
    const r = new Restorer(repo, options, pool);
    await r.restoreTree(treeId, options.target);
    return r.stats;
  } finally {
    await pool?.close();
  }
}
