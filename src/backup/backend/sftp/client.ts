/**
 * An SFTP version 3 client (draft-ietf-secsh-filexfer-02) over any byte stream pair, normally the
 * stdin and stdout of `ssh -s sftp`. Requests are pipelined: each gets an id, replies are matched
 * by id (§3), so many reads or writes can be in flight at once.
 */
import type { Readable, Writable } from 'node:stream';
import { FXP, OPEN_FLAGS, PacketSplitter, SFTP_VERSION, STATUS, encodePacket, type Attrs, type Field, type Packet, type PacketReader } from './codec.js';

/** A STATUS reply other than OK (draft-02 §7). */
export class SftpStatusError extends Error {
  override name = 'SftpStatusError';

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface DirEntry {
  name: string;
  attrs: Attrs;
}

interface Pending {
  resolve(p: Packet): void;
  reject(err: Error): void;
}

/** Bytes per WRITE request and per READ request; OpenSSH accepts packets up to 256 KiB. */
export const WRITE_CHUNK = 128 * 1024;
export const READ_CHUNK = 64 * 1024;
/** Requests of one transfer in flight at once. */
const WINDOW = 16;

export class SftpClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new PacketSplitter();
  private versionWaiter: Pending | undefined;
  private closedWith: Error | undefined;
  /** Extensions the server announced in VERSION (§4; OpenSSH: "fsync@openssh.com" etc.). */
  readonly extensions = new Map<string, string>();

  constructor(
    private readonly out: Writable,
    input: Readable,
    /** More about a lost connection (e.g. ssh's stderr), for the error message. */
    private readonly why: () => string = () => '',
    /** What the connection is to (a repository's location), named in a lost connection's error. */
    private readonly label = '',
  ) {
    input.on('data', (d: Buffer) => this.onData(d));
    input.on('end', () => this.fail(new Error('SFTP connection closed')));
    input.on('error', (e: Error) => this.fail(e));
    out.on('error', (e: Error) => this.fail(e));
  }

  /** SSH_FXP_INIT / SSH_FXP_VERSION (§4). */
  async init(): Promise<void> {
    const reply = await new Promise<Packet>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      this.versionWaiter = { resolve, reject };
      this.send(encodePacket(FXP.INIT, [{ u32: SFTP_VERSION }]));
    });
    if (reply.type !== FXP.VERSION) throw new SyntaxError(`SFTP server answered INIT with packet type ${reply.type}`);
    const version = reply.payload.u32();
    if (version < SFTP_VERSION) throw new RangeError(`SFTP server speaks version ${version}, 3 is needed`);
    while (reply.payload.remaining > 0) this.extensions.set(reply.payload.string(), reply.payload.string());
  }

  private onData(d: Buffer): void {
    let packets: Packet[];
    try {
      packets = this.splitter.push(d);
    } catch (err) {
      return this.fail(err as Error);
    }
    for (const p of packets) {
      if (p.type === FXP.VERSION) {
        const w = this.versionWaiter;
        this.versionWaiter = undefined;
        w?.resolve(p);
        continue;
      }
      let id: number;
      try {
        id = p.payload.u32();
      } catch (err) {
        return this.fail(err as Error);
      }
      const waiter = this.pending.get(id);
      if (!waiter) return this.fail(new SyntaxError(`SFTP reply for unknown request ${id}`));
      this.pending.delete(id);
      waiter.resolve(p);
    }
  }

  /** Whether the connection has failed (every request fails now). */
  get failed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Every request still waiting, and every later one, fails with `err`. */
  fail(err: Error): void {
    if (this.closedWith) return;
    const extra = this.why().trim();
    const message = `${this.label ? `${this.label}: connection lost: ` : ''}${err.message}${extra ? `: ${extra}` : ''}`;
    this.closedWith = message === err.message ? err : new Error(message);
    this.versionWaiter?.reject(this.closedWith);
    this.versionWaiter = undefined;
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
  }

  private send(parts: Buffer[]): void {
    for (const p of parts) this.out.write(p);
  }

  private request(type: number, fields: Field[]): Promise<Packet> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    return new Promise<Packet>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(encodePacket(type, [{ u32: id }, ...fields]));
    });
  }

  /** A STATUS reply: OK resolves, anything else rejects with SftpStatusError naming `what`. */
  private static status(p: Packet, what: string): void {
    if (p.type !== FXP.STATUS) throw new SyntaxError(`SFTP ${what}: unexpected reply type ${p.type}`);
    const code = p.payload.u32();
    if (code === STATUS.OK) return;
    throw SftpClient.failure(code, p.payload, what);
  }

  /** The error for a STATUS reply whose code has been read already. */
  private static failure(code: number, rest: PacketReader, what: string): SftpStatusError {
    const message = rest.remaining >= 4 ? rest.string() : '';
    return new SftpStatusError(code, `SFTP ${what}: ${message || 'status ' + code}`);
  }

  private static expect(p: Packet, type: number, what: string): PacketReader {
    if (p.type === type) return p.payload;
    SftpClient.status(p, what);
    throw new SyntaxError(`SFTP ${what}: unexpected reply type ${p.type}`);
  }

  async open(path: string, flags: number, attrs: Attrs = {}): Promise<Buffer> {
    const p = await this.request(FXP.OPEN, [{ str: path }, { u32: flags }, { attrs }]);
    return Buffer.from(SftpClient.expect(p, FXP.HANDLE, `open ${path}`).bytes());
  }

  async close(handle: Buffer): Promise<void> {
    SftpClient.status(await this.request(FXP.CLOSE, [{ str: handle }]), 'close');
  }

  async fstat(handle: Buffer): Promise<Attrs> {
    return SftpClient.expect(await this.request(FXP.FSTAT, [{ str: handle }]), FXP.ATTRS, 'fstat').attrs();
  }

  async stat(path: string): Promise<Attrs> {
    return SftpClient.expect(await this.request(FXP.STAT, [{ str: path }]), FXP.ATTRS, `stat ${path}`).attrs();
  }

  async remove(path: string): Promise<void> {
    SftpClient.status(await this.request(FXP.REMOVE, [{ str: path }]), `remove ${path}`);
  }

  async mkdir(path: string, permissions: number): Promise<void> {
    SftpClient.status(await this.request(FXP.MKDIR, [{ str: path }, { attrs: { permissions } }]), `mkdir ${path}`);
  }

  /** SSH_FXP_RENAME (§6.5): "It is an error if there already exists a file with the name specified by newpath." */
  async rename(from: string, to: string): Promise<void> {
    SftpClient.status(await this.request(FXP.RENAME, [{ str: from }, { str: to }]), `rename ${from} to ${to}`);
  }

  /** fsync@openssh.com (OpenSSH PROTOCOL, §4.10): the file's data reaches the server's disk. */
  async fsync(handle: Buffer): Promise<boolean> {
    if (!this.extensions.has('fsync@openssh.com')) return false;
    SftpClient.status(await this.request(FXP.EXTENDED, [{ str: 'fsync@openssh.com' }, { str: handle }]), 'fsync');
    return true;
  }

  /** Writes `data` at offset `at` of an open file, WINDOW requests in flight; `data` may be re-used once this resolves. */
  async writeAll(handle: Buffer, data: Uint8Array, at = 0): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    for (let o = 0; o < data.length; o += WRITE_CHUNK) {
      const chunk = data.subarray(o, Math.min(o + WRITE_CHUNK, data.length));
      const w: Promise<void> = this.request(FXP.WRITE, [{ str: handle }, { u64: at + o }, { str: chunk }]).then(
        (p) => SftpClient.status(p, 'write'),
      );
      const tracked = w.catch((err: unknown) => {
        failure ??= err;
      }).finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      if (failure !== undefined) break;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  }

  /**
   * Reads `length` bytes at `offset`, WINDOW requests in flight. A short reply (the server may
   * return less than asked, §6.4) is completed by further reads; EOF before the end is a RangeError.
   */
  async readExactly(handle: Buffer, offset: number, length: number, what: string): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    const readInto = async (at: number, n: number): Promise<void> => {
      while (n > 0) {
        const p = await this.request(FXP.READ, [{ str: handle }, { u64: offset + at }, { u32: n }]);
        if (p.type === FXP.STATUS) {
          const code = p.payload.u32();
          if (code === STATUS.EOF) throw new RangeError(`${what} ended at byte ${offset + at}, before ${offset + length}`);
          throw SftpClient.failure(code, p.payload, `read ${what}`);
        }
        const data = SftpClient.expect(p, FXP.DATA, `read ${what}`).bytes();
        if (data.length === 0 || data.length > n) throw new SyntaxError(`SFTP read ${what}: ${data.length} bytes for ${n} asked`);
        data.copy(out, at);
        at += data.length;
        n -= data.length;
      }
    };
    const parts: Promise<void>[] = [];
    const running = new Set<Promise<void>>();
    for (let o = 0; o < length; o += READ_CHUNK) {
      const r = readInto(o, Math.min(READ_CHUNK, length - o));
      parts.push(r);
      const tracked = r.catch(() => {}).finally(() => running.delete(tracked));
      running.add(tracked);
      if (running.size >= WINDOW) await Promise.race(running);
    }
    await Promise.all(parts);
    return out;
  }

  /** Every entry of a directory but "." and ".." (SSH_FXP_OPENDIR / READDIR until EOF, §6.7). */
  async readdir(path: string): Promise<DirEntry[]> {
    const p = await this.request(FXP.OPENDIR, [{ str: path }]);
    const handle = Buffer.from(SftpClient.expect(p, FXP.HANDLE, `opendir ${path}`).bytes());
    const out: DirEntry[] = [];
    try {
      for (;;) {
        const r = await this.request(FXP.READDIR, [{ str: handle }]);
        if (r.type === FXP.STATUS) {
          const code = r.payload.u32();
          if (code === STATUS.EOF) break;
          throw SftpClient.failure(code, r.payload, `readdir ${path}`);
        }
        const names = SftpClient.expect(r, FXP.NAME, `readdir ${path}`);
        const count = names.u32();
        for (let i = 0; i < count; i++) {
          const name = names.string();
          names.string(); // longname, for humans (§7)
          const attrs = names.attrs();
          if (name !== '.' && name !== '..') out.push({ name, attrs });
        }
      }
    } finally {
      await this.close(handle).catch(() => {});
    }
    return out;
  }
}

export { OPEN_FLAGS, STATUS };
