/**
 * The in-memory index: where each blob is (pack, offset, length, uncompressed length), for every
 * blob the index files list (design.rst, "Indexing"). Kept compact, because it holds every blob of
 * the repository (restic's top complaint is its memory on large repositories): an open-addressing
 * hash table over typed arrays, 32 bytes of id and 16 of location per slot and a pack table, about
 * 70 bytes a blob at most load, instead of a JavaScript object and two hex strings (some 300).
 * Ids are SHA-256 values, so their first four bytes are a good hash.
 */
import type { Id } from './id.js';
import type { BlobType, PackedBlob } from './pack.js';

export interface BlobLocation extends PackedBlob {
  pack: Id;
}

const ID_BYTES = 32;
const META = 4; // pack number + 1 (0: empty slot) with the type in the top bit, offset, length, uncompressed length
const TREE_BIT = 0x80000000;
const MAX_LOAD = 0.7;

export class BlobIndex {
  private capacity: number;
  private ids: Buffer;
  private meta: Uint32Array;
  private count = 0;
  private readonly packs: Id[] = [];
  private readonly packNumbers = new Map<Id, number>();
  private readonly scratch = Buffer.alloc(ID_BYTES);

  constructor(initialCapacity = 1024) {
    this.capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.ids = Buffer.alloc(this.capacity * ID_BYTES);
    this.meta = new Uint32Array(this.capacity * META);
  }

  get size(): number {
    return this.count;
  }

  /** The slot holding (type, id in scratch), or the empty slot where it would go (negative - 1). */
  private find(ids: Buffer, meta: Uint32Array, capacity: number, key: Buffer, tree: boolean): number {
    const mask = capacity - 1;
    let slot = key.readUInt32LE(0) & mask;
    for (;;) {
      const m = meta[slot * META]!;
      if (m === 0) return -slot - 1;
      if ((m & TREE_BIT) !== 0 === tree && ids.compare(key, 0, ID_BYTES, slot * ID_BYTES, slot * ID_BYTES + ID_BYTES) === 0) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private key(id: Id): Buffer {
    if (this.scratch.write(id, 'hex') !== ID_BYTES) throw new RangeError(`Invalid blob id '${id}'`);
    return this.scratch;
  }

  private packNumber(pack: Id): number {
    let n = this.packNumbers.get(pack);
    if (n === undefined) {
      n = this.packs.length;
      if (n + 1 >= TREE_BIT) throw new RangeError('Too many packs for the index');
      this.packs.push(pack);
      this.packNumbers.set(pack, n);
    }
    return n;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const ids = Buffer.alloc(capacity * ID_BYTES);
    const meta = new Uint32Array(capacity * META);
    for (let s = 0; s < this.capacity; s++) {
      const m = this.meta[s * META]!;
      if (m === 0) continue;
      const key = this.ids.subarray(s * ID_BYTES, s * ID_BYTES + ID_BYTES);
      const to = -this.find(ids, meta, capacity, key, (m & TREE_BIT) !== 0) - 1;
      key.copy(ids, to * ID_BYTES);
      meta.set(this.meta.subarray(s * META, s * META + META), to * META);
    }
    this.capacity = capacity;
    this.ids = ids;
    this.meta = meta;
  }

  /** Adds a blob's location; a blob already known keeps its first location (any copy will do). */
  add(pack: Id, b: PackedBlob): void {
    if (b.offset > 0xffffffff || b.length > 0xffffffff || (b.uncompressedLength ?? 0) > 0xffffffff) throw new RangeError(`Blob ${b.id} is too large for the index`);
    if ((this.count + 1) / this.capacity > MAX_LOAD) this.grow();
    const tree = b.type === 'tree';
    const key = this.key(b.id);
    const found = this.find(this.ids, this.meta, this.capacity, key, tree);
    if (found >= 0) return;
    const slot = -found - 1;
    key.copy(this.ids, slot * ID_BYTES);
    const o = slot * META;
    this.meta[o] = ((this.packNumber(pack) + 1) | (tree ? TREE_BIT : 0)) >>> 0;
    this.meta[o + 1] = b.offset;
    this.meta[o + 2] = b.length;
    this.meta[o + 3] = b.uncompressedLength ?? 0;
    this.count++;
  }

  has(type: BlobType, id: Id): boolean {
    return this.find(this.ids, this.meta, this.capacity, this.key(id), type === 'tree') >= 0;
  }

  get(type: BlobType, id: Id): BlobLocation | undefined {
    const slot = this.find(this.ids, this.meta, this.capacity, this.key(id), type === 'tree');
    return slot < 0 ? undefined : this.at(slot, id);
  }

  private at(slot: number, id: Id): BlobLocation {
    const o = slot * META;
    const m = this.meta[o]!;
    const loc: BlobLocation = {
      type: m & TREE_BIT ? 'tree' : 'data',
      id,
      offset: this.meta[o + 1]!,
      length: this.meta[o + 2]!,
      pack: this.packs[(m & ~TREE_BIT) - 1]!,
    };
    if (this.meta[o + 3] !== 0) loc.uncompressedLength = this.meta[o + 3]!;
    return loc;
  }

  *values(): IterableIterator<BlobLocation> {
    for (let s = 0; s < this.capacity; s++) {
      if (this.meta[s * META] === 0) continue;
      yield this.at(s, this.ids.toString('hex', s * ID_BYTES, s * ID_BYTES + ID_BYTES));
    }
  }
}
