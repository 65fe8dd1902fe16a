/**
 * A pack's blob list (design.rst, "Indexing": type, id, offset, length, uncompressed_length) kept
 * in one Buffer, 48 bytes an entry, for the packs a backup has written and no index file lists
 * yet. As PackedBlob objects with hex ids, the 50,000 blobs an index file gathers were some 15 MB
 * of live heap (about 300 bytes a blob: the object, its id string and out-of-object properties),
 * which V8 let grow to twice that in garbage before collecting it.
 */
import { ID_SIZE, idFromBytes, parseId } from './id.js';
import type { PackedBlob } from './pack.js';

/** id (32), type (1: 0 data, 1 tree), 3 bytes padding, offset, length, uncompressed length (u32 LE; 0: not compressed). */
const ENTRY = 48;
const TYPE = ID_SIZE;
const OFFSET = 36;
const LENGTH = 40;
const UNCOMPRESSED = 44;

export class BlobList implements Iterable<PackedBlob> {
  private readonly buf: Buffer;

  /** The blobs of a finished pack, copied; their objects may be dropped. */
  constructor(blobs: readonly PackedBlob[]) {
    this.buf = Buffer.alloc(blobs.length * ENTRY);
    blobs.forEach((b, i) => {
      const o = i * ENTRY;
      for (const [what, n] of [['offset', b.offset], ['length', b.length], ['uncompressed length', b.uncompressedLength ?? 0]] as const) {
        if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`Invalid ${what} ${n} of blob ${b.id}`);
      }
      if (b.uncompressedLength === 0) throw new RangeError(`Invalid uncompressed length 0 of blob ${b.id}`);
      this.buf.write(parseId(b.id, 'blob id'), o, ID_SIZE, 'hex');
      this.buf[o + TYPE] = b.type === 'tree' ? 1 : 0;
      this.buf.writeUInt32LE(b.offset, o + OFFSET);
      this.buf.writeUInt32LE(b.length, o + LENGTH);
      this.buf.writeUInt32LE(b.uncompressedLength ?? 0, o + UNCOMPRESSED);
    });
  }

  get length(): number {
    return this.buf.length / ENTRY;
  }

  at(i: number): PackedBlob {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`No blob ${i} in a list of ${this.length}`);
    const o = i * ENTRY;
    const u = this.buf.readUInt32LE(o + UNCOMPRESSED);
    const b: PackedBlob = {
      type: this.buf[o + TYPE] === 1 ? 'tree' : 'data',
      id: idFromBytes(this.buf.subarray(o, o + ID_SIZE)),
      offset: this.buf.readUInt32LE(o + OFFSET),
      length: this.buf.readUInt32LE(o + LENGTH),
    };
    if (u !== 0) b.uncompressedLength = u;
    return b;
  }

  *[Symbol.iterator](): IterableIterator<PackedBlob> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}
