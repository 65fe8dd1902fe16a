/**
 * The in-memory index: where each blob is (pack, offset, length, uncompressed length), for every
 * blob the index files list (design.rst, "Indexing"). Kept compact, because it holds every blob of
 * the repository (restic's top complaint is its memory on large repositories): open-addressing
 * hash tables over typed arrays, 32 bytes of id and 16 of location per slot and a pack table,
 * instead of a JavaScript object and two hex strings (some 300 bytes). The table is split in 256
 * shards by the id's first byte, each growing by half when 80 % full: a growth copies one shard,
 * not the whole index (one table doubling at 1 M blobs held 150 MB at once), and the load stays
 * between 53 and 80 % (about 70 bytes a blob). Ids are SHA-256 values, so their bytes are a good hash.
 */
import type { Id } from './id.js';
import type { BlobType, PackedBlob } from './pack.js';

export interface BlobLocation extends PackedBlob {
  pack: Id;
}

const ID_BYTES = 32;
const WORDS = ID_BYTES / 4;
const META = 4; // pack number + 1 (0: empty slot) with the type in the top bit, offset, length, uncompressed length
const TREE_BIT = 0x80000000;
const MAX_LOAD = 0.8;
const SHARDS = 256;

/** One open-addressing table (linear probing) of the ids whose first byte is its number. */
class Shard {
  count = 0;
  ids: Buffer;
  meta: Uint32Array;

  constructor(public capacity: number) {
    this.ids = Buffer.alloc(capacity * ID_BYTES);
    this.meta = new Uint32Array(capacity * META);
  }

  /** The slot holding (type, key), or the empty slot where it would go (negative - 1). */
  find(key: Buffer, tree: boolean): number {
    const { ids, meta, capacity } = this;
    const h = key.readUInt32LE(4);
    let slot = h % capacity;
    for (;;) {
      const m = meta[slot * META]!;
      if (m === 0) return -slot - 1;
      // The hashed word first: most slots a probe passes differ there (a miss, the common case
      // in a first backup, passes several at 80 % load).
      if (ids.readUInt32LE(slot * ID_BYTES + 4) === h && (m & TREE_BIT) !== 0 === tree && ids.compare(key, 0, ID_BYTES, slot * ID_BYTES, slot * ID_BYTES + ID_BYTES) === 0) return slot;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /**
   * Moves every entry into a table half as large again. The entries are distinct, so each goes to
   * the first empty slot of its probe: no comparison, and no view of the old key per entry (those
   * two made growing a third of loading a 1,000,000-blob index).
   */
  grow(): void {
    const old = { ids: this.ids, meta: this.meta, capacity: this.capacity };
    const capacity = Math.ceil(this.capacity * 1.5);
    const ids = Buffer.alloc(capacity * ID_BYTES);
    const meta = new Uint32Array(capacity * META);
    // The ids copied a word at a time (Buffer.copy per id cost more than the rest of the loop).
    const from = new Uint32Array(old.ids.buffer, old.ids.byteOffset, old.capacity * WORDS);
    const into = new Uint32Array(ids.buffer, ids.byteOffset, capacity * WORDS);
    for (let s = 0; s < old.capacity; s++) {
      if (old.meta[s * META]! === 0) continue;
      let to = old.ids.readUInt32LE(s * ID_BYTES + 4) % capacity;
      while (meta[to * META]! !== 0) to = to + 1 === capacity ? 0 : to + 1;
      for (let k = 0; k < WORDS; k++) into[to * WORDS + k] = from[s * WORDS + k]!;
      for (let k = 0; k < META; k++) meta[to * META + k] = old.meta[s * META + k]!;
    }
    this.capacity = capacity;
    this.ids = ids;
    this.meta = meta;
  }
}

export class BlobIndex {
  private readonly shards: Shard[] = [];
  private count = 0;
  private readonly packs: Id[] = [];
  private readonly packNumbers = new Map<Id, number>();
  private readonly scratch = Buffer.alloc(ID_BYTES);

  constructor(initialCapacity = 1024) {
    const perShard = Math.max(8, Math.ceil(initialCapacity / SHARDS / MAX_LOAD));
    for (let i = 0; i < SHARDS; i++) this.shards.push(new Shard(perShard));
  }

  get size(): number {
    return this.count;
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

  /** Adds a blob's location; a blob already known keeps its first location (any copy will do). */
  add(pack: Id, b: PackedBlob): void {
    if (b.offset > 0xffffffff || b.length > 0xffffffff || (b.uncompressedLength ?? 0) > 0xffffffff) throw new RangeError(`Blob ${b.id} is too large for the index`);
    const tree = b.type === 'tree';
    const key = this.key(b.id);
    const shard = this.shards[key[0]!]!;
    let found = shard.find(key, tree);
    if (found >= 0) return;
    if (shard.count + 1 > shard.capacity * MAX_LOAD) {
      shard.grow();
      found = shard.find(key, tree);
    }
    const slot = -found - 1;
    key.copy(shard.ids, slot * ID_BYTES);
    const o = slot * META;
    shard.meta[o] = ((this.packNumber(pack) + 1) | (tree ? TREE_BIT : 0)) >>> 0;
    shard.meta[o + 1] = b.offset;
    shard.meta[o + 2] = b.length;
    shard.meta[o + 3] = b.uncompressedLength ?? 0;
    shard.count++;
    this.count++;
  }

  has(type: BlobType, id: Id): boolean {
    const key = this.key(id);
    return this.shards[key[0]!]!.find(key, type === 'tree') >= 0;
  }

  get(type: BlobType, id: Id): BlobLocation | undefined {
    const key = this.key(id);
    const shard = this.shards[key[0]!]!;
    const slot = shard.find(key, type === 'tree');
    return slot < 0 ? undefined : this.at(shard, slot, id);
  }

  private at(shard: Shard, slot: number, id: Id): BlobLocation {
    const o = slot * META;
    const m = shard.meta[o]!;
    const loc: BlobLocation = {
      type: m & TREE_BIT ? 'tree' : 'data',
      id,
      offset: shard.meta[o + 1]!,
      length: shard.meta[o + 2]!,
      pack: this.packs[(m & ~TREE_BIT) - 1]!,
    };
    if (shard.meta[o + 3] !== 0) loc.uncompressedLength = shard.meta[o + 3]!;
    return loc;
  }

  *values(): IterableIterator<BlobLocation> {
    for (const shard of this.shards) {
      for (let s = 0; s < shard.capacity; s++) {
        if (shard.meta[s * META] === 0) continue;
        yield this.at(shard, s, shard.ids.toString('hex', s * ID_BYTES, s * ID_BYTES + ID_BYTES));
      }
    }
  }
}
