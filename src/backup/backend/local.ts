/**
 * A repository in a local directory, in restic's default layout (design.rst, "Repository
 * Layout"), readable by `restic -r DIR`. Writes are atomic and durable: a temporary file beside
 * the target, fsync, a hard link to the final name (which refuses to replace an existing file;
 * rename where the filesystem has no hard links), fsync of the directory. Files are 0600 and
 * directories 0700, as restic makes them.
 */
import { randomBytes } from 'node:crypto';
import { constants, fsync, open as openCallback } from 'node:fs';
import { link, mkdir, open as openFile, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AlreadyExistsError, NotFoundError, type Backend, type FileInfo, type FileType, type Handle, type Source, type TempFile, type TempFileInfo } from '../repo/backend.js';
import { backupNative } from '../native.js';
import { DATA_SUBDIRS, TEMP_DIRS, TOP_DIRS, isTempName, tempBelongs, layoutDir, layoutPath, tempLeftoverPath, tempPath } from './layout.js';
import { readMountTables, requiredMountReason, unmountedReason, type MountTables } from './mount-check.js';
import { syncDir } from '../../util/sync-dir.js';

const FILE_MODE = 0o600;
const fsyncFd = promisify(fsync);
const openFd = promisify(openCallback);
const DIR_MODE = 0o700;

const isErrno = (err: unknown, ...codes: string[]) => codes.includes((err as NodeJS.ErrnoException)?.code ?? '');

export interface LocalBackendOptions {
  /** The mount tables to check the path against (default: this machine's). */
  mountTables?: () => Promise<MountTables>;
  /** The mount point the repository must be on (see requiredMountReason). */
  requireMount?: string;
}

/** Pack files kept open for reading. */
const READ_HANDLES = 16;

interface OpenPack {
  fh: FileHandle;
  size: number;
  /** Reads in progress. */
  users: number;
  /** Evicted: closed once the last read ends. */
  closing: boolean;
  fhClosed?: boolean;
}

export class LocalBackend implements Backend {
  private readonly mountTables: () => Promise<MountTables>;
  private readonly readHandles = new Map<string, Promise<OpenPack>>();
  private readonly requireMount: string | undefined;

  constructor(private readonly root: string, options: LocalBackendOptions = {}) {
    this.mountTables = options.mountTables ?? readMountTables;
    this.requireMount = options.requireMount;
  }

  location(): string {
    return this.root;
  }

  private dirOf(h: Handle): string {
    return join(this.root, layoutDir(h));
  }

  localPath(h: Handle): string {
    return this.pathOf(h);
  }

  private pathOf(h: Handle): string {
    return join(this.root, layoutPath(h));
  }

  private async checkMounted(): Promise<void> {
    const tables = await this.mountTables();
    const reason = (this.requireMount !== undefined ? requiredMountReason(this.root, this.requireMount, tables) : undefined) ?? unmountedReason(this.root, tables);
    if (reason) throw new Error(reason);
  }

  async create(): Promise<void> {
    await this.checkMounted();
    try {
      await stat(join(this.root, 'config'));
      throw new AlreadyExistsError(`A repository already exists at ${this.root}`);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    await mkdir(this.root, { recursive: true, mode: DIR_MODE });
    for (const d of [...TOP_DIRS, ...DATA_SUBDIRS]) await mkdir(join(this.root, d), { recursive: true, mode: DIR_MODE });
    await syncDir(join(this.root, 'data'));
    await syncDir(this.root);
  }

  async open(): Promise<void> {
    await this.checkMounted();
  }

  async save(h: Handle, data: Uint8Array): Promise<void> {
    await this.saveWith(h, (fh) => fh.writeFile(data));
  }

  /** save() from pieces: a pack assembled in a temporary file is copied a piece at a time. */
  async saveFrom(h: Handle, source: Source): Promise<void> {
    await this.saveWith(h, async (fh) => {
      let pos = 0;
      for await (const piece of source.pieces()) {
        for (let done = 0; done < piece.length; ) done += (await fh.write(piece, done, piece.length - done, pos + done)).bytesWritten;
        pos += piece.length;
      }
      if (pos !== source.size) throw new Error(`Saving ${layoutPath(h)}: ${pos} bytes written of ${source.size}`);
    });
  }

  private async saveWith(h: Handle, write: (fh: FileHandle) => Promise<void>): Promise<void> {
    try {
      await this.saveFile(h, write);
    } catch (err) {
      // No such directory: the repository went away under us (a disk unplugged mid-run).
      if (isErrno(err, 'ENOENT')) throw new Error(await this.goneReason(err as Error));
      throw err;
    }
  }

  private async saveFile(h: Handle, write: (fh: FileHandle) => Promise<void>): Promise<void> {
    const final = this.pathOf(h);
    const dir = this.dirOf(h);
    const tmp = tempPath(final);
    let fh;
    try {
      fh = await openFile(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') || h.type !== 'data') throw err;
      // Only the pack subdirectory is made, never its parents: a repository that vanished
      // (a disk unplugged mid-run) must not be re-created on the filesystem underneath.
      await mkdir(dir, { mode: DIR_MODE }).catch((e: unknown) => {
        if (!isErrno(e, 'EEXIST')) throw e;
      });
      fh = await openFile(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    }
    try {
      try {
        await write(fh);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await publish(tmp, final, dir);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  /**
   * A pack file assembled in place (Backend.createTemp): `data/<xx>/<xx>-tmp-<random>`, with
   * `xx` random (the final name, the SHA-256 of the content, is not known yet). A process killed
   * while writing leaves it for prune's removal of leftovers, as an interrupted save does.
   */
  async createTemp(type: 'data'): Promise<TempFile> {
    if (type !== 'data') throw new RangeError(`Temporary files in place are for packs, not '${type}'`);
    const random = randomBytes(9).toString('hex');
    const sub = random.slice(0, 2);
    const dir = join(this.root, 'data', sub);
    const path = join(dir, `${sub}-tmp-${random.slice(2)}`);
    try {
      // A plain descriptor (not a FileHandle, which closes itself when collected): the caller
      // writes it in the thread pool and closes it.
      let fd: number;
      try {
        fd = await openFd(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        // Only the pack subdirectory, never its parents (see saveFile).
        await mkdir(dir, { mode: DIR_MODE }).catch((e: unknown) => {
          if (!isErrno(e, 'EEXIST')) throw e;
        });
        fd = await openFd(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
      }
      return { fd, path, dir };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new Error(await this.goneReason(err as Error));
      throw err;
    }
  }

  /**
   * Backend.commitTemp: fsync, then the final name (publish), then the temporary name removed.
   * The pack's pages, clean once synced, are dropped from the page cache (native/file-cache.cc
   * says why: the next pack is written into pages freed a moment ago, not into pages the host
   * of a virtual machine has taken back). Nothing reads a pack just written during a backup.
   */
  async commitTemp(h: Handle, temp: TempFile): Promise<void> {
    if (h.type !== 'data') throw new RangeError(`Temporary files in place are for packs, not '${h.type}'`);
    try {
      await fsyncFd(temp.fd);
      dropCache(temp.fd);
      await publish(temp.path, this.pathOf(h), this.dirOf(h));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new Error(await this.goneReason(err as Error));
      throw err;
    }
  }

  /**
   * An open handle and the size of a pack, kept for the next reads (a restore reads many blobs of
   * the same packs; packs never change once written). At most READ_HANDLES are kept.
   */
  private readHandle(path: string): Promise<OpenPack> {
    let entry = this.readHandles.get(path);
    if (entry) {
      this.readHandles.delete(path); // most recently used last
      this.readHandles.set(path, entry);
      return entry;
    }
    entry = (async () => {
      const fh = await openForRead(path);
      return { fh, size: (await fh.stat()).size, users: 0, closing: false } as OpenPack;
    })();
    const mine = entry;
    entry.catch(() => {
      if (this.readHandles.get(path) === mine) this.readHandles.delete(path);
    });
    this.readHandles.set(path, entry);
    while (this.readHandles.size > READ_HANDLES) {
      const [oldest, old] = this.readHandles.entries().next().value as [string, Promise<OpenPack>];
      this.readHandles.delete(oldest);
      void old.then((p) => this.release(p, true), () => {});
    }
    return entry;
  }

  private release(p: OpenPack, evicted = false): void {
    if (evicted) p.closing = true;
    if (p.closing && p.users === 0 && !p.fhClosed) {
      p.fhClosed = true;
      void p.fh.close().catch(() => {});
    }
  }

  /** Why a save found no directory: the repository is gone from under us (unplugged, unmounted). */
  private async goneReason(err: Error): Promise<string> {
    const mount = await this.mountTables().then(
      (tables) => (this.requireMount !== undefined ? requiredMountReason(this.root, this.requireMount, tables) : undefined) ?? unmountedReason(this.root, tables),
      () => undefined,
    );
    if (mount) return `The repository at ${this.root} is gone: ${mount}`;
    if (!(await exists(join(this.root, 'config')))) return `The repository at ${this.root} is gone (its config file is not there any more: was the disk unplugged or the path unmounted?)`;
    return err.message;
  }

  async load(h: Handle, offset = 0, length = 0): Promise<Uint8Array> {
    const path = this.pathOf(h);
    if (h.type === 'data') {
      const p = await this.readHandle(path);
      if (p.closing) return this.loadOnce(path, offset, length); // evicted meanwhile
      p.users++;
      try {
        return await readRange(p.fh, p.size, path, offset, length);
      } finally {
        p.users--;
        this.release(p);
      }
    }
    return this.loadOnce(path, offset, length);
  }

  private async loadOnce(path: string, offset: number, length: number): Promise<Uint8Array> {
    const fh = await openForRead(path);
    try {
      return await readRange(fh, (await fh.stat()).size, path, offset, length);
    } finally {
      await fh.close();
    }
  }

  async stat(h: Handle): Promise<FileInfo> {
    const path = this.pathOf(h);
    try {
      return { name: h.name, size: (await stat(path)).size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`${path} does not exist`);
      throw err;
    }
  }

  async remove(h: Handle): Promise<void> {
    const path = this.pathOf(h);
    const cached = this.readHandles.get(path);
    if (cached) {
      this.readHandles.delete(path);
      void cached.then((p) => this.release(p, true), () => {});
    }
    try {
      await unlink(path);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  async list(type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    const dirs = type === 'data' ? await subdirs(join(this.root, 'data')) : [join(this.root, type)];
    const out: FileInfo[] = [];
    for (const d of dirs) {
      let names: string[];
      try {
        names = await readdir(d);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      for (const name of names) {
        if (isTempName(name)) continue; // a save in progress or one interrupted
        try {
          const s = await stat(join(d, name));
          if (s.isFile()) out.push({ name, size: s.size });
        } catch (err) {
          if (!isErrno(err, 'ENOENT')) throw err;
        }
      }
    }
    return out;
  }

  async listTemporary(): Promise<TempFileInfo[]> {
    const out: TempFileInfo[] = [];
    for (const { dir, type } of TEMP_DIRS) {
      let names: string[];
      try {
        names = await readdir(join(this.root, dir));
      } catch (err) {
        if (isErrno(err, 'ENOENT', 'ENOTDIR')) continue;
        throw err;
      }
      for (const name of names) {
        if (!tempBelongs(dir, name)) continue;
        try {
          const s = await stat(join(this.root, dir, name));
          if (s.isFile()) out.push({ type, name, size: s.size, modifiedMs: s.mtimeMs });
        } catch (err) {
          if (!isErrno(err, 'ENOENT')) throw err;
        }
      }
    }
    return out;
  }

  async removeTemporary(f: TempFileInfo): Promise<void> {
    try {
      await unlink(join(this.root, tempLeftoverPath(f)));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  async close(): Promise<void> {
    const open = [...this.readHandles.values()];
    this.readHandles.clear();
    await Promise.all(open.map((e) => e.then((p) => this.release(p, true), () => {})));
  }
}

/** Advice only: a kernel or addon without it changes nothing but speed. */
function dropCache(fd: number): void {
  try {
    backupNative()?.dropFileCache?.(fd);
  } catch {
    // not supported here
  }
}

async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await openFile(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new NotFoundError(`${path} does not exist`);
    throw err;
  }
}

async function readRange(fh: FileHandle, size: number, path: string, offset: number, length: number): Promise<Buffer> {
  const n = length === 0 ? size - offset : length;
  if (offset < 0 || n < 0 || offset + n > size) throw new RangeError(`Range ${offset}+${length} is past the end of ${path} (${size} bytes)`);
  const buf = Buffer.allocUnsafe(n);
  let done = 0;
  while (done < n) {
    const { bytesRead } = await fh.read(buf, done, n - done, offset + done);
    if (bytesRead === 0) throw new RangeError(`${path} ended early`);
    done += bytesRead;
  }
  return buf;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

/**
 * Names the synced file `tmp` as `final` and removes the temporary name: a hard link, which
 * refuses to replace an existing file (rename where the filesystem has no hard links), then an
 * fsync of the final name's directory, so the name is durable when this resolves.
 */
async function publish(tmp: string, final: string, dir: string): Promise<void> {
  try {
    await link(tmp, final);
    await unlink(tmp);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new AlreadyExistsError(`${final} already exists`);
    if (!isErrno(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS')) throw err;
    // No hard links here (FAT, some FUSE filesystems): check, then rename.
    if (await exists(final)) throw new AlreadyExistsError(`${final} already exists`);
    await rename(tmp, final);
  }
  await syncDir(dir);
}
