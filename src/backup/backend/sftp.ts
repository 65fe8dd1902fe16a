/**
 * A repository on an SFTP server, as restic's sftp backend keeps it: `sftp:user@host:/path` (or
 * `sftp://user@host:port//path`), reached by running `ssh [-p port] [-l user] host -s sftp` and
 * speaking SFTP version 3 over its stdin and stdout (sftp/codec.ts, sftp/client.ts). restic's
 * `-o sftp.command="ssh …"` is the `command` option here.
 *
 * Writes are atomic and write-once: the file is created under a temporary name (O_EXCL), written,
 * flushed with fsync@openssh.com where the server offers it, closed, then renamed with
 * SSH_FXP_RENAME, which refuses an existing target (draft-02 §6.5), so a save never replaces a
 * file and an interrupted save leaves only a temporary name, which list() ignores.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { AlreadyExistsError, NotFoundError, type Backend, type FileInfo, type FileType, type Handle, type Source, type TempFileInfo } from '../repo/backend.js';
import { DATA_SUBDIRS, TEMP_DIRS, TOP_DIRS, isTempName, tempBelongs, layoutDir, layoutPath, tempLeftoverPath, tempPath } from './layout.js';
import { OPEN_FLAGS, STATUS, SftpClient, SftpStatusError } from './sftp/client.js';
import { isRegularMode } from './sftp/codec.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Directory listings in flight at once (list('data') reads 256 directories). */
const LIST_PARALLEL = 16;

export interface SftpLocation {
  user?: string;
  host: string;
  port?: number;
  /** The repository's directory; relative paths are relative to the login's home directory. */
  path: string;
}

export interface SftpBackendOptions {
  /** The command whose stdin/stdout speak SFTP (restic's sftp.command); default ssh … -s sftp. */
  command?: readonly string[];
}

/** restic's default: `ssh [-p port] [-l user] host -s sftp`. */
export function defaultSshCommand(loc: SftpLocation): string[] {
  const args = ['ssh'];
  if (loc.port !== undefined) args.push('-p', String(loc.port));
  if (loc.user !== undefined) args.push('-l', loc.user);
  args.push(loc.host, '-s', 'sftp');
  return args;
}

const isNoSuchFile = (err: unknown) => err instanceof SftpStatusError && err.code === STATUS.NO_SUCH_FILE;

export class SftpBackend implements Backend {
  private connection: Promise<SftpClient> | undefined;
  private current: SftpClient | undefined;
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly command: readonly string[];

  constructor(
    private readonly loc: SftpLocation,
    options: SftpBackendOptions = {},
  ) {
    this.command = options.command ?? defaultSshCommand(loc);
    if (this.command.length === 0) throw new RangeError('The SFTP command is empty');
  }

  location(): string {
    return `sftp:${this.loc.user ? this.loc.user + '@' : ''}${this.loc.host}:${this.loc.path}`;
  }

  /** The ssh process, for tests that cut the connection. */
  get process(): ChildProcessWithoutNullStreams | undefined {
    return this.child;
  }

  private client(): Promise<SftpClient> {
    if (this.current?.failed) {
      // The connection died (ssh exited, a cut link): the next call starts a new one.
      this.child?.kill('SIGKILL');
      this.child = undefined;
      this.current = undefined;
      this.connection = undefined;
    }
    this.connection ??= this.connect();
    return this.connection;
  }

  private async connect(): Promise<SftpClient> {
    const [cmd, ...args] = this.command;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const client = new SftpClient(child.stdin, child.stdout, () => stderr, this.location());
    child.on('error', (err) => client.fail(new Error(`Cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => client.fail(new Error(`${cmd} exited (${signal ?? 'status ' + code})`)));
    try {
      await client.init();
    } catch (err) {
      this.connection = undefined;
      // ssh says why (refused, host key, authentication) on stderr as it exits; an EPIPE on its
      // stdin, which may come first, says nothing: wait a moment for its word.
      if (child.exitCode === null && child.signalCode === null) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((r) => child.once('exit', () => r())), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
        clearTimeout(timer);
      }
      child.kill('SIGKILL');
      const message = (err as Error).message;
      const said = stderr.trim().split('\n').pop()?.trim();
      const what = message.startsWith(`${this.location()}: `) ? message.slice(this.location().length + 2) : message;
      throw new Error(`Cannot open ${this.location()}: ${what}${said && !what.includes(said) ? ` (${said})` : ''}`);
    }
    this.current = client;
    return client;
  }

  private path(rel: string): string {
    const base = this.loc.path.replace(/\/+$/, '');
    if (rel === '') return base === '' ? '.' : base;
    return base === '' ? rel : `${base}/${rel}`;
  }

  private async exists(c: SftpClient, path: string): Promise<boolean> {
    try {
      await c.stat(path);
      return true;
    } catch (err) {
      if (isNoSuchFile(err)) return false;
      throw err;
    }
  }

  /** mkdir that is content when the directory is there already (mkdir -p for one level). */
  private async mkdirIfMissing(c: SftpClient, path: string): Promise<void> {
    try {
      await c.mkdir(path, DIR_MODE);
    } catch (err) {
      if (!(err instanceof SftpStatusError) || !(await this.exists(c, path))) throw err;
    }
  }

  async create(): Promise<void> {
    const c = await this.client();
    if (await this.exists(c, this.path('config'))) throw new AlreadyExistsError(`A repository already exists at ${this.location()}`);
    // The parents of the repository's directory, then its layout (the subdirectories in parallel).
    const parts = this.path('').split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (p !== '' && p !== '.') await this.mkdirIfMissing(c, p);
    }
    for (const d of TOP_DIRS) await this.mkdirIfMissing(c, this.path(d));
    await Promise.all(DATA_SUBDIRS.map((d) => this.mkdirIfMissing(c, this.path(d))));
  }

  async open(): Promise<void> {
    const c = await this.client();
    await c.stat(this.path('')).catch((err: unknown) => {
      if (isNoSuchFile(err)) throw new NotFoundError(`${this.location()} does not exist`);
      throw err;
    });
  }

  async save(h: Handle, data: Uint8Array): Promise<void> {
    await this.saveWith(h, (c, handle) => c.writeAll(handle, data));
  }

  /** save() from pieces: a pack assembled in a temporary file is sent a piece at a time. */
  async saveFrom(h: Handle, source: Source): Promise<void> {
    await this.saveWith(h, async (c, handle) => {
      let pos = 0;
      for await (const piece of source.pieces()) {
        await c.writeAll(handle, piece, pos);
        pos += piece.length;
      }
      if (pos !== source.size) throw new Error(`Saving ${layoutPath(h)}: ${pos} bytes written of ${source.size}`);
    });
  }

  private async saveWith(h: Handle, write: (c: SftpClient, handle: Buffer) => Promise<void>): Promise<void> {
    const c = await this.client();
    const final = this.path(layoutPath(h));
    const tmp = tempPath(final);
    const flags = OPEN_FLAGS.WRITE | OPEN_FLAGS.CREAT | OPEN_FLAGS.EXCL;
    let handle: Buffer;
    try {
      handle = await c.open(tmp, flags, { permissions: FILE_MODE });
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
      await this.mkdirIfMissing(c, this.path(layoutDir(h)));
      handle = await c.open(tmp, flags, { permissions: FILE_MODE });
    }
    try {
      try {
        await write(c, handle);
        await c.fsync(handle);
      } finally {
        await c.close(handle);
      }
      try {
        await c.rename(tmp, final);
      } catch (err) {
        if (err instanceof SftpStatusError && (await this.exists(c, final))) throw new AlreadyExistsError(`${final} already exists`);
        throw err;
      }
    } catch (err) {
      await c.remove(tmp).catch(() => {});
      throw err;
    }
  }

  async load(h: Handle, offset = 0, length = 0): Promise<Uint8Array> {
    const c = await this.client();
    const path = this.path(layoutPath(h));
    let handle: Buffer;
    try {
      handle = await c.open(path, OPEN_FLAGS.READ);
    } catch (err) {
      if (isNoSuchFile(err)) throw new NotFoundError(`${path} does not exist`);
      throw err;
    }
    try {
      const size = (await c.fstat(handle)).size ?? 0;
      const n = length === 0 ? size - offset : length;
      if (offset < 0 || n < 0 || offset + n > size) throw new RangeError(`Range ${offset}+${length} is past the end of ${path} (${size} bytes)`);
      return await c.readExactly(handle, offset, n, path);
    } finally {
      await c.close(handle).catch(() => {});
    }
  }

  async stat(h: Handle): Promise<FileInfo> {
    const c = await this.client();
    const path = this.path(layoutPath(h));
    try {
      return { name: h.name, size: (await c.stat(path)).size ?? 0 };
    } catch (err) {
      if (isNoSuchFile(err)) throw new NotFoundError(`${path} does not exist`);
      throw err;
    }
  }

  async remove(h: Handle): Promise<void> {
    const c = await this.client();
    try {
      await c.remove(this.path(layoutPath(h)));
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
    }
  }

  async list(type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    const c = await this.client();
    const dirs = type === 'data' ? DATA_SUBDIRS : [type];
    const out: FileInfo[] = [];
    let next = 0;
    const worker = async () => {
      while (next < dirs.length) {
        const dir = this.path(dirs[next++]!);
        let entries;
        try {
          entries = await c.readdir(dir);
        } catch (err) {
          if (isNoSuchFile(err)) continue;
          throw err;
        }
        for (const e of entries) if (!isTempName(e.name) && isRegularMode(e.attrs.permissions)) out.push({ name: e.name, size: e.attrs.size ?? 0 });
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_PARALLEL, dirs.length) }, worker));
    return out;
  }

  async listTemporary(): Promise<TempFileInfo[]> {
    const c = await this.client();
    const out: TempFileInfo[] = [];
    let next = 0;
    const worker = async () => {
      while (next < TEMP_DIRS.length) {
        const { dir, type } = TEMP_DIRS[next++]!;
        let entries;
        try {
          entries = await c.readdir(this.path(dir));
        } catch (err) {
          if (isNoSuchFile(err)) continue;
          throw err;
        }
        for (const e of entries) {
          // SFTP v3 times are whole seconds; a server that sends none makes the file look new (kept).
          if (tempBelongs(dir, e.name) && isRegularMode(e.attrs.permissions)) out.push({ type, name: e.name, size: e.attrs.size ?? 0, modifiedMs: e.attrs.mtime !== undefined ? e.attrs.mtime * 1000 : Date.now() });
        }
      }
    };
    await Promise.all(Array.from({ length: LIST_PARALLEL }, worker));
    return out;
  }

  async removeTemporary(f: TempFileInfo): Promise<void> {
    const c = await this.client();
    try {
      await c.remove(this.path(tempLeftoverPath(f)));
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
    }
  }

  async close(): Promise<void> {
    const child = this.child;
    this.connection = undefined;
    this.current = undefined;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Splits a command line as a shell would for plain words and quotes (restic's sftp.command). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]!;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i]!;
    else if (/\s/.test(ch)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else word = (word ?? '') + ch;
  }
  if (quote) throw new SyntaxError(`Unterminated ${quote} in command ${JSON.stringify(line)}`);
  if (word !== undefined) out.push(word);
  return out;
}
