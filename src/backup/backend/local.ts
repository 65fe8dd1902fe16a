/**
 * A repository in a local directory, in restic's default layout (design.rst, "Repository
 * Layout"), readable by `restic -r DIR`. Writes are atomic and durable: a temporary file beside
 * the target, fsync, a hard link to the final name (which refuses to replace an existing file;
 * rename where the filesystem has no hard links), fsync of the directory. Files are 0600 and
 * directories 0700, as restic makes them.
 */
import { constants } from 'node:fs';
import { link, mkdir, open as openFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyExistsError, NotFoundError, type Backend, type FileInfo, type FileType, type Handle } from '../repo/backend.js';
import { DATA_SUBDIRS, TOP_DIRS, isTempName, layoutDir, layoutPath, tempPath } from './layout.js';
import { readMountTables, unmountedReason, type MountTables } from './mount-check.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

const isErrno = (err: unknown, ...codes: string[]) => codes.includes((err as NodeJS.ErrnoException)?.code ?? '');

export interface LocalBackendOptions {
  /** The mount tables to check the path against (default: this machine's). */
  mountTables?: () => Promise<MountTables>;
}

export class LocalBackend implements Backend {
  private readonly mountTables: () => Promise<MountTables>;

  constructor(private readonly root: string, options: LocalBackendOptions = {}) {
    this.mountTables = options.mountTables ?? readMountTables;
  }

  location(): string {
    return this.root;
  }

  private dirOf(h: Handle): string {
    return join(this.root, layoutDir(h));
  }

  private pathOf(h: Handle): string {
    return join(this.root, layoutPath(h));
  }

  private async checkMounted(): Promise<void> {
    const reason = unmountedReason(this.root, await this.mountTables());
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
    const final = this.pathOf(h);
    const dir = this.dirOf(h);
    const tmp = tempPath(final);
    let fh;
    try {
      fh = await openFile(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') || h.type !== 'data') throw err;
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      fh = await openFile(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    }
    try {
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
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
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  async load(h: Handle, offset = 0, length = 0): Promise<Uint8Array> {
    const path = this.pathOf(h);
    let fh;
    try {
      fh = await openFile(path, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`${path} does not exist`);
      throw err;
    }
    try {
      const size = (await fh.stat()).size;
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
    try {
      await unlink(this.pathOf(h));
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

  async close(): Promise<void> {}
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

async function syncDir(dir: string): Promise<void> {
  const fh = await openFile(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
