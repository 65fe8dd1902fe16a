/**
 * The replication wire format, inside TLS: length-prefixed frames.
 *
 *   u32 length of the rest | u8 type | u32 request id | u32 header length | header | payload
 *
 * The header is JSON (paths as base64 of their bytes, 64-bit numbers as decimal strings); the
 * payload is raw file bytes. A request carries a non-zero id and gets exactly one reply with the
 * same id ('ok' or 'error'); data frames of a stream carry id 0 and get none.
 */

export const MAX_PAYLOAD = 4 * 1024 * 1024;
const MAX_HEADER = 16 * 1024 * 1024; // a listing of a large directory
const PREFIX = 4 + 1 + 4 + 4;

export const FrameType = {
  hello: 1,
  tree: 2,
  list: 3,
  put: 4,
  begin: 5,
  data: 6,
  end: 7,
  mkdir: 8,
  symlink: 9,
  remove: 10,
  rename: 11,
  /** Split brain: from now on the replica keeps what it replaces (generations.ts). */
  conflicts: 12,
  /** A full comparison completed: the replica takes the source's generation. */
  synced: 13,
  /** Replica → source, no reply: changed on the replica outside replication; compare it again. */
  dirty: 14,
  /** A hard link to a name already on the replica, or (target = path) attributes only (protocol 2). */
  link: 15,
  /** Delta transfer (delta-signature.ts): block sums of the basis opened by 'begin {basis: true}'. */
  sums: 16,
  /** Delta transfer: copy and literal operations (delta-ops.ts), id 0 like 'data'. */
  patch: 17,
  /** Either way, no reply, once agreed in hello: "still here" on an idle link (channel.ts keepAlive). */
  heartbeat: 18,
  ok: 64,
  error: 65,
} as const;
export type FrameTypeName = keyof typeof FrameType;
const NAMES = new Map<number, FrameTypeName>(Object.entries(FrameType).map(([k, v]) => [v, k as FrameTypeName]));

export interface Frame {
  type: FrameTypeName;
  id: number;
  header: Record<string, unknown>;
  payload: Buffer;
  /**
   * A received payload that arrived in several pieces (TLS delivers at most 16 KiB at a time),
   * as those pieces: `payload` joins them into one Buffer only when it is read. A file's data
   * goes to the disk from the pieces (writev), never copied into one Buffer first.
   */
  parts?: readonly Buffer[];
}

/** Bytes of a frame's payload, without joining its pieces. */
export function payloadLength(frame: Frame): number {
  return frame.parts === undefined ? frame.payload.length : frame.parts.reduce((n, part) => n + part.length, 0);
}

/** A received frame whose payload spans pieces of the stream. */
class PiecedFrame implements Frame {
  private joined: Buffer | undefined;
  constructor(
    readonly type: FrameTypeName,
    readonly id: number,
    readonly header: Record<string, unknown>,
    readonly parts: readonly Buffer[],
  ) {}

  get payload(): Buffer {
    this.joined ??= Buffer.concat(this.parts);
    return this.joined;
  }
}

export function encodeFrame(frame: Frame): Buffer {
  return Buffer.concat(encodeFrameParts(frame));
}

/** The frame as [prefix and header, payload]: a large payload is written without a copy. */
export function encodeFrameParts(frame: Frame): [Buffer, Buffer] {
  const header = Buffer.from(JSON.stringify(frame.header));
  const head = Buffer.alloc(PREFIX + header.length);
  head.writeUInt32BE(PREFIX - 4 + header.length + frame.payload.length, 0);
  head.writeUInt8(FrameType[frame.type], 4);
  head.writeUInt32BE(frame.id, 5);
  head.writeUInt32BE(header.length, 9);
  header.copy(head, PREFIX);
  return [head, frame.payload];
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into frames; a malformed stream throws a RangeError / SyntaxError. The
 * chunks pushed are kept as they are (the caller must not reuse them): a payload that lies in
 * one chunk is a view of it, one that spans chunks is a list of views (Frame.parts). Nothing
 * is copied but a header that spans chunks.
 */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.length += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.length < 4) break;
      const size = this.peek(4).readUInt32BE(0);
      if (size < PREFIX - 4 || size > MAX_HEADER + MAX_PAYLOAD + PREFIX) throw new RangeError(`Frame length ${size} is out of range`);
      if (this.length < 4 + size) break;
      const pieces = this.take(4 + size);
      const prefix = gather(pieces, 0, PREFIX);
      const typeCode = prefix.readUInt8(4);
      const type = NAMES.get(typeCode);
      if (type === undefined) throw new RangeError(`Unknown frame type ${typeCode}`);
      const headerLength = prefix.readUInt32BE(9);
      if (PREFIX + headerLength > 4 + size) throw new RangeError(`Header length ${headerLength} exceeds the frame`);
      const header = JSON.parse(gather(pieces, PREFIX, PREFIX + headerLength).toString('utf8')) as unknown;
      if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SyntaxError('Frame header is not an object');
      const id = prefix.readUInt32BE(5);
      const parts = views(pieces, PREFIX + headerLength, 4 + size);
      if (parts.length > 1) frames.push(new PiecedFrame(type, id, header as Record<string, unknown>, parts));
      else frames.push({ type, id, header: header as Record<string, unknown>, payload: parts[0] ?? EMPTY });
    }
    return frames;
  }

  /** The first n buffered bytes (copied only when they span chunks). */
  private peek(n: number): Buffer {
    const first = this.buffered[0]!;
    return first.length >= n ? first.subarray(0, n) : gather(this.buffered, 0, n);
  }

  /** The first n buffered bytes as views of the chunks that hold them, removed from the buffer. */
  private take(n: number): Buffer[] {
    const pieces: Buffer[] = [];
    let wanted = n;
    let used = 0; // whole chunks taken (removed at once: shift() per chunk is quadratic)
    while (wanted > 0) {
      const chunk = this.buffered[used]!;
      if (chunk.length <= wanted) {
        pieces.push(chunk);
        used++;
        wanted -= chunk.length;
      } else {
        pieces.push(chunk.subarray(0, wanted));
        this.buffered[used] = chunk.subarray(wanted);
        wanted = 0;
      }
    }
    this.buffered.splice(0, used);
    this.length -= n;
    return pieces;
  }
}

/** Views of bytes [from, to) of the concatenation of `pieces`, without copying. */
function views(pieces: readonly Buffer[], from: number, to: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const piece of pieces) {
    const start = Math.max(from, at);
    const end = Math.min(to, at + piece.length);
    if (end > start) out.push(piece.subarray(start - at, end - at));
    at += piece.length;
    if (at >= to) break;
  }
  return out;
}

/** Bytes [from, to) of the concatenation of `pieces` as one Buffer (a view when one piece holds them). */
function gather(pieces: readonly Buffer[], from: number, to: number): Buffer {
  const parts = views(pieces, from, to);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, to - from);
}

// Header field helpers: paths as base64 bytes, 64-bit numbers as strings. A bad field throws
// a TypeError, which the receiving side turns into an 'error' reply (never a crash).

export function pathField(rel: string): string {
  return Buffer.from(rel, 'latin1').toString('base64');
}

export function readPath(header: Record<string, unknown>, key: string): string {
  const value = header[key];
  if (typeof value !== 'string') throw new TypeError(`Header field '${key}' must be a base64 string`);
  return Buffer.from(value, 'base64').toString('latin1');
}

export function readBig(header: Record<string, unknown>, key: string): bigint {
  const value = header[key];
  if (typeof value !== 'string' || !/^-?\d{1,20}$/.test(value)) throw new TypeError(`Header field '${key}' must be a decimal string`);
  return BigInt(value);
}

export function readInt(header: Record<string, unknown>, key: string): number {
  const value = header[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`Header field '${key}' must be a non-negative integer`);
  return value;
}

export function readString(header: Record<string, unknown>, key: string): string {
  const value = header[key];
  if (typeof value !== 'string') throw new TypeError(`Header field '${key}' must be a string`);
  return value;
}
