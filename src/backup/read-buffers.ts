/**
 * A few reusable buffers for reading small files whole. A backup of many small files read each
 * into a buffer of its own (slices of node's 8 KiB pool): every file's bytes were garbage once
 * sealed, yet lived long enough in the pipeline to be promoted, and V8 frees an old ArrayBuffer
 * only at a mark-compact, so some 50 MB of them waited at any time (measured on 100,000 files).
 * A buffer is taken for one file and given back once the repository has copied or sealed the
 * bytes (Repository.queueBlob's contract).
 */
export class ReadBuffers {
  private readonly free: Buffer[] = [];

  /**
   * @param size each buffer's length (a file read into one must be shorter: a read that fills
   *   the buffer is not known to be the end).
   * @param keep at most this many are kept for reuse; more taken at once are allocated and dropped.
   */
  constructor(readonly size: number, private readonly keep: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`Invalid read buffer size ${size}`);
    if (!Number.isSafeInteger(keep) || keep < 0) throw new RangeError(`Invalid number of read buffers ${keep}`);
  }

  /** A buffer of `size` bytes, not shared with anything else until given back. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives back a buffer take() returned; its bytes may be overwritten from now on. */
  give(buf: Buffer): void {
    if (buf.length !== this.size) throw new RangeError(`A buffer of ${buf.length} bytes is not one of these (${this.size})`);
    if (this.free.length < this.keep && !this.free.includes(buf)) this.free.push(buf);
  }

  /** Buffers waiting for reuse (for tests). */
  get idle(): number {
    return this.free.length;
  }
}
