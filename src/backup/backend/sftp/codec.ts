/**
 * The SSH File Transfer Protocol, version 3: draft-ietf-secsh-filexfer-02 (the version OpenSSH's
 * sftp-server speaks, and restic's sftp backend through it). Only what a repository needs.
 *
 * Every packet (§3) is `uint32 length || byte type || payload`; all requests but INIT carry a
 * `uint32 request-id` first, and the server answers each with STATUS, HANDLE, DATA, NAME or ATTRS
 * carrying the same id, possibly out of order. Strings are `uint32 length || bytes` (§3).
 * Extensions (§8) are named requests inside SSH_FXP_EXTENDED; OpenSSH announces its own
 * (fsync@openssh.com, posix-rename@openssh.com) in the VERSION packet.
 */

export const SFTP_VERSION = 3;

/** Packet types (draft-02 §3). */
export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  STAT: 17,
  RENAME: 18,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

/** SSH_FXP_OPEN pflags (draft-02 §6.3). */
export const OPEN_FLAGS = { READ: 0x01, WRITE: 0x02, APPEND: 0x04, CREAT: 0x08, TRUNC: 0x10, EXCL: 0x20 } as const;

/** Status codes (draft-02 §7). */
export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** Attribute flags (draft-02 §5). */
const ATTR = { SIZE: 0x1, UIDGID: 0x2, PERMISSIONS: 0x4, ACMODTIME: 0x8, EXTENDED: 0x80000000 } as const;

/** File attributes (draft-02 §5); absent fields were not sent. */
export interface Attrs {
  size?: number;
  uid?: number;
  gid?: number;
  permissions?: number;
  atime?: number;
  mtime?: number;
}

/** The POSIX file type bits inside `permissions` (OpenSSH sends st_mode whole). */
export const isDirectoryMode = (permissions: number | undefined) => permissions !== undefined && (permissions & 0o170000) === 0o040000;
export const isRegularMode = (permissions: number | undefined) => permissions !== undefined && (permissions & 0o170000) === 0o100000;

// ---- encoding ---------------------------------------------------------------------------------

export type Field = { u8: number } | { u32: number } | { u64: number } | { str: string | Uint8Array } | { attrs: Attrs };

function fieldLength(f: Field): number {
  if ('u8' in f) return 1;
  if ('u32' in f) return 4;
  if ('u64' in f) return 8;
  if ('str' in f) return 4 + (typeof f.str === 'string' ? Buffer.byteLength(f.str) : f.str.length);
  return attrsEncodingLength(f.attrs);
}

export function attrsEncodingLength(a: Attrs): number {
  let n = 4;
  if (a.size !== undefined) n += 8;
  if (a.uid !== undefined && a.gid !== undefined) n += 8;
  if (a.permissions !== undefined) n += 4;
  if (a.atime !== undefined && a.mtime !== undefined) n += 8;
  return n;
}

function writeAttrs(buf: Buffer, o: number, a: Attrs): number {
  let flags = 0;
  if (a.size !== undefined) flags |= ATTR.SIZE;
  if (a.uid !== undefined && a.gid !== undefined) flags |= ATTR.UIDGID;
  if (a.permissions !== undefined) flags |= ATTR.PERMISSIONS;
  if (a.atime !== undefined && a.mtime !== undefined) flags |= ATTR.ACMODTIME;
  o = buf.writeUInt32BE(flags >>> 0, o);
  if (a.size !== undefined) o = buf.writeBigUInt64BE(BigInt(a.size), o);
  if (flags & ATTR.UIDGID) o = buf.writeUInt32BE(a.gid!, buf.writeUInt32BE(a.uid!, o));
  if (a.permissions !== undefined) o = buf.writeUInt32BE(a.permissions, o);
  if (flags & ATTR.ACMODTIME) o = buf.writeUInt32BE(a.mtime!, buf.writeUInt32BE(a.atime!, o));
  return o;
}

/**
 * One packet: `length || type || fields`. Large string fields (write data) are not copied into the
 * header: the result is the header plus the payload buffers to send after it, in order.
 */
export function encodePacket(type: number, fields: readonly Field[]): Buffer[] {
  let headerLength = 5;
  let bodyLength = 0;
  const big: Uint8Array[] = [];
  for (const f of fields) {
    const n = fieldLength(f);
    bodyLength += n;
    if ('str' in f && typeof f.str !== 'string' && f.str.length >= 4096) {
      headerLength += 4;
      big.push(f.str);
    } else if (big.length === 0) headerLength += n;
    else throw new RangeError('Only the last field of a packet may be a large string');
  }
  const head = Buffer.allocUnsafe(headerLength);
  let o = head.writeUInt32BE(1 + bodyLength, 0);
  o = head.writeUInt8(type, o);
  for (const f of fields) {
    if ('u8' in f) o = head.writeUInt8(f.u8, o);
    else if ('u32' in f) o = head.writeUInt32BE(f.u32 >>> 0, o);
    else if ('u64' in f) o = head.writeBigUInt64BE(BigInt(f.u64), o);
    else if ('attrs' in f) o = writeAttrs(head, o, f.attrs);
    else if (typeof f.str === 'string') {
      o = head.writeUInt32BE(Buffer.byteLength(f.str), o);
      o += head.write(f.str, o);
    } else if (f.str.length >= 4096) o = head.writeUInt32BE(f.str.length, o);
    else {
      o = head.writeUInt32BE(f.str.length, o);
      head.set(f.str, o);
      o += f.str.length;
    }
  }
  return [head, ...big.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length)))];
}

// ---- decoding ---------------------------------------------------------------------------------

/** A reader over one packet's payload; every read checks the bounds (SyntaxError when short). */
export class PacketReader {
  private o = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.o + n > this.buf.length) throw new SyntaxError(`SFTP packet truncated: ${n} bytes wanted at offset ${this.o} of ${this.buf.length}`);
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.o++);
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.o);
    this.o += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`SFTP value ${v} is too large`);
    return Number(v);
  }

  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.o, this.o + n);
    this.o += n;
    return b;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  attrs(): Attrs {
    const flags = this.u32();
    const a: Attrs = {};
    if (flags & ATTR.SIZE) a.size = this.u64();
    if (flags & ATTR.UIDGID) {
      a.uid = this.u32();
      a.gid = this.u32();
    }
    if (flags & ATTR.PERMISSIONS) a.permissions = this.u32();
    if (flags & ATTR.ACMODTIME) {
      a.atime = this.u32();
      a.mtime = this.u32();
    }
    if (flags & ATTR.EXTENDED) {
      const count = this.u32();
      for (let i = 0; i < count; i++) {
        this.bytes();
        this.bytes();
      }
    }
    return a;
  }

  get remaining(): number {
    return this.buf.length - this.o;
  }
}

export interface Packet {
  type: number;
  payload: PacketReader;
}

/** Packets are at most this long; OpenSSH's sftp-server uses 256 KiB (SFTP_MAX_MSG_LENGTH). */
export const MAX_PACKET = 256 * 1024 + 1024;

/** Splits a byte stream into packets (`uint32 length || type || payload`). */
export class PacketSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds bytes; returns the complete packets they finish. Throws RangeError on an absurd length. */
  push(data: Buffer): Packet[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const out: Packet[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      if (this.chunks[0]!.length < 4) this.merge();
      const length = this.chunks[0]!.readUInt32BE(0);
      if (length < 1 || length > MAX_PACKET) throw new RangeError(`SFTP packet length ${length} is out of range`);
      if (this.buffered < 4 + length) break;
      if (this.chunks[0]!.length < 4 + length) this.merge();
      const first = this.chunks[0]!;
      const packet = first.subarray(4, 4 + length);
      const rest = first.subarray(4 + length);
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
      this.buffered -= 4 + length;
      out.push({ type: packet[0]!, payload: new PacketReader(packet.subarray(1)) });
    }
    return out;
  }

  private merge(): void {
    this.chunks = [Buffer.concat(this.chunks)];
  }
}
