/**
 * The source's half of rsync's algorithm (Tridgell & Mackerras 1996, sections 3–4): roll a
 * window of one block over the new file; where its weak checksum is in the replica's signature
 * and the strong hash agrees, emit a copy of that block and jump a block ahead, otherwise move
 * one byte (the byte becomes literal data). The weak checksum rolls in O(1) per byte:
 *   a' = a − x_k + x_{k+l},   b' = b − l·x_k + a'   (mod 2^16).
 *
 * Streaming: the file is read once, front to back, in chunks; what is held is at most one
 * block + one pending literal + one read chunk (`bufferBytes`), whatever the file's size. The
 * SHA-256 of everything read is computed on the way (the replica checks its result against it),
 * unless the caller hashes the file itself (`hash: false`).
 */
import { createHash, type Hash } from 'node:crypto';
import { strongOf, weakParts, type Signature } from './delta-signature.js';
import type { DeltaOp } from './delta-ops.js';

export interface DeltaEncoderOptions {
  /** Bytes asked of each read. */
  readChunk?: number;
  /** A literal run is emitted once it reaches this length. */
  literalMax?: number;
  /** false: the caller hashes the file itself (source-sender.ts, in the thread pool) and digest() is not used. */
  hash?: boolean;
}

/** Reads into `buffer` at file `position`; 0 at the end of the file. */
export type ReadAt = (buffer: Buffer, position: number) => Promise<number>;

/**
 * A run of matched blocks is emitted as copies of at most this length, so the replica copies
 * while the source is still rolling (a file that did not change would otherwise be one copy at
 * the very end).
 */
const MAX_COPY = 8 * 1024 * 1024;

export class DeltaEncoder {
  readonly readChunk: number;
  readonly literalMax: number;
  /** The most this encoder holds of the file at once. */
  readonly bufferBytes: number;
  literalBytes = 0;
  copiedBytes = 0;
  private readonly hash: Hash | undefined;
  private readonly bs: number;
  private data: Buffer;
  /** Valid bytes in `data`; file offset of data[0]. */
  private end = 0;
  private base = 0;
  private eof = false;
  /** Window start and start of the pending literal, as indices into `data` (lit ≤ pos). */
  private pos = 0;
  private lit = 0;
  private a = 0;
  private b = 0;
  /** a, b hold the window at pos; and the window must move one byte before it is checked again. */
  private have = false;
  private rollPending = false;
  private lastBlock = -2;
  private copy: { from: number; length: number } | undefined;
  private readonly out: DeltaOp[] = [];

  constructor(
    private readonly signature: Signature,
    private readonly read: ReadAt,
    options: DeltaEncoderOptions = {},
  ) {
    this.bs = signature.blockSize;
    this.readChunk = options.readChunk ?? 1024 * 1024;
    this.literalMax = options.literalMax ?? 1024 * 1024;
    if (this.readChunk < 1 || this.literalMax < 1) throw new RangeError('readChunk and literalMax must be positive');
    this.bufferBytes = this.bs + this.literalMax + this.readChunk;
    this.data = Buffer.allocUnsafe(this.bufferBytes);
    this.hash = options.hash === false ? undefined : createHash('sha256');
  }

  /** The SHA-256 (hex) of the whole file; valid once ops() is exhausted. */
  digest(): string {
    if (this.hash === undefined) throw new TypeError('This encoder was made with hash: false');
    return this.hash.digest('hex');
  }

  async *ops(): AsyncGenerator<DeltaOp> {
    for (;;) {
      this.scan();
      if (this.out.length > 0) yield* this.out.splice(0);
      if (this.eof) break;
      await this.refill();
    }
    this.finishTail();
    this.flushCopy();
    yield* this.out.splice(0);
  }

  /** Everything the buffer allows without reading: the hot loop, synchronous. */
  private scan(): void {
    const bs = this.bs;
    const data = this.data;
    const sig = this.signature;
    const weak = sig.weak;
    for (;;) {
      if (this.pos - this.lit >= this.literalMax) this.flushLiteral(this.pos);
      if (this.rollPending) {
        if (this.pos + bs >= this.end) {
          if (!this.eof) return;
          this.pos++; // the window cannot move past the end: its first byte is literal
          this.rollPending = false;
          this.have = false;
          continue;
        }
        this.roll(data, bs);
        this.rollPending = false;
      }
      if (this.end - this.pos < bs) return;
      if (!this.have && this.pos === this.lit && this.followsMatch(data, bs)) continue;
      if (!this.have) {
        const [a, b] = weakParts(data, this.pos, this.pos + bs);
        this.a = a;
        this.b = b;
        this.have = true;
      }
      // Inner loop, the state in locals: roll byte by byte until some block has this weak sum
      // (the common case over changed data never leaves it).
      let a = this.a;
      let b = this.b;
      let pos = this.pos;
      const stop = Math.min(this.end - bs, this.lit + this.literalMax);
      const { head, next, shift } = sig;
      let s = (b << 16) | a;
      while (pos < stop) {
        let i = head[Math.imul(s, 0x9e3779b1) >>> shift]!;
        while (i >= 0 && weak[i] !== s) i = next[i]!;
        if (i >= 0) break;
        const x = data[pos]!;
        a = (a - x + data[pos + bs]!) & 0xffff;
        b = (b - bs * x + a) & 0xffff;
        pos++;
        s = (b << 16) | a;
      }
      this.a = a;
      this.b = b;
      this.pos = pos;
      if (this.pos - this.lit >= this.literalMax) continue;
      const block = this.match(s, weak, data, bs);
      if (block >= 0) {
        this.flushLiteral(this.pos);
        this.addCopy(block * bs, bs);
        this.lastBlock = block;
        this.pos += bs;
        this.lit = this.pos;
        this.have = false;
        continue;
      }
      this.rollPending = true;
    }
  }

  /**
   * Right after a match, the window is most often the basis's next block too (an unchanged
   * run): its strong hash, which a weak hit would be checked with anyway, is compared first and
   * the weak sum of the window (a pass over the block in JS) is computed only when it differs.
   * A false match needs a 64-bit collision, and is caught like any other by the whole-file
   * SHA-256 the replica checks (then the file is sent whole).
   */
  private followsMatch(data: Buffer, bs: number): boolean {
    const sig = this.signature;
    const preferred = this.lastBlock + 1;
    if (this.lastBlock < 0 || preferred >= sig.count || sig.lengthOf(preferred) !== bs) return false;
    if (!sig.strongEquals(preferred, strongOf(data.subarray(this.pos, this.pos + bs)))) return false;
    this.addCopy(preferred * bs, bs);
    this.lastBlock = preferred;
    this.pos += bs;
    this.lit = this.pos;
    return true;
  }

  private roll(data: Buffer, bs: number): void {
    const x = data[this.pos]!;
    this.a = (this.a - x + data[this.pos + bs]!) & 0xffff;
    this.b = (this.b - bs * x + this.a) & 0xffff;
    this.pos++;
  }

  /** The block the window at pos is a copy of (the one after the last match preferred), or −1. */
  private match(s: number, weak: Int32Array, data: Buffer, bs: number): number {
    const sig = this.signature;
    let digest: Buffer | undefined;
    const preferred = this.lastBlock + 1;
    if (preferred < sig.count && weak[preferred] === s && sig.lengthOf(preferred) === bs) {
      digest = strongOf(data.subarray(this.pos, this.pos + bs));
      if (sig.strongEquals(preferred, digest)) return preferred;
    }
    for (let i = sig.first(s); i >= 0; i = sig.following(i)) {
      if (weak[i] !== s || sig.lengthOf(i) !== bs) continue;
      digest ??= strongOf(data.subarray(this.pos, this.pos + bs));
      if (sig.strongEquals(i, digest)) return i;
    }
    return -1;
  }

  /**
   * At the end of the file fewer than a block remain: they may still be the basis's shorter last
   * block (rsync checks the shrinking window; one position suffices for an unchanged tail).
   */
  private finishTail(): void {
    const sig = this.signature;
    const last = sig.count - 1;
    const start = this.end - sig.lastLength;
    if (last >= 0 && sig.lastLength < this.bs && start >= this.pos) {
      const [a, b] = weakParts(this.data, start, this.end);
      if (((b << 16) | a) === sig.weak[last] && sig.strongEquals(last, strongOf(this.data.subarray(start, this.end)))) {
        this.flushLiteral(start);
        this.addCopy(last * this.bs, sig.lastLength);
        this.pos = this.end;
        this.lit = this.end;
        return;
      }
    }
    this.flushLiteral(this.end);
    this.pos = this.end;
  }

  private flushLiteral(upTo: number): void {
    while (upTo > this.lit) {
      this.flushCopy();
      const n = Math.min(upTo - this.lit, this.literalMax);
      // A copy: `data` is compacted and refilled by the next read while the caller holds ops.
      this.out.push({ kind: 'literal', bytes: Buffer.from(this.data.subarray(this.lit, this.lit + n)) });
      this.literalBytes += n;
      this.lit += n;
    }
  }

  private addCopy(from: number, length: number): void {
    this.copiedBytes += length;
    const copy = this.copy;
    if (copy !== undefined && copy.from + copy.length === from && copy.length + length <= MAX_COPY) {
      copy.length += length;
      return;
    }
    this.flushCopy();
    this.copy = { from, length };
  }

  private flushCopy(): void {
    if (this.copy === undefined) return;
    this.out.push({ kind: 'copy', ...this.copy });
    this.copy = undefined;
  }

  /** Drops what is behind the pending literal, then reads until a window and a byte more are held. */
  private async refill(): Promise<void> {
    const keep = this.lit;
    if (keep > 0) {
      this.data.copy(this.data, 0, keep, this.end);
      this.end -= keep;
      this.pos -= keep;
      this.lit = 0;
      this.base += keep;
    }
    while (!this.eof && this.end - this.pos <= this.bs && this.end < this.data.length) {
      const room = this.data.subarray(this.end, Math.min(this.data.length, this.end + this.readChunk));
      const n = await this.read(room, this.base + this.end);
      if (n === 0) {
        this.eof = true;
        break;
      }
      this.hash?.update(room.subarray(0, n));
      this.end += n;
    }
  }
}
