/**
 * The in-memory index: where each blob is (pack, offset, length, uncompressed length), for every
 * blob the index files list (design.rst, "Indexing"). Kept compact, because it holds every blob of
 * the repository (restic's top complaint is its memory on large repositories): open-addressing
 * hash tables over typed arrays, 32 bytes of id and 16 of location per slot and a pack table,
 * instead of a JavaScript object and two hex strings (some 300 bytes). The table is split in 256
 * shards by a byte of the id, each growing by half when 80 % full: a growth copies one shard,
 * not the whole index (one table doubling at 1 M blobs held 150 MB at once), and the load stays
 * between 53 and 80 % (about 70 bytes a blob). Ids are SHA-256 values, so their bytes are a good hash.
 */
import type { Id } from './id.js';
import { TREE_BIT, type ScannedIndex } from './index-scan.js';
import type { BlobType, PackedBlob } from './pack.js';

export interface BlobLocation extends PackedBlob {
  pack: Id;
}

const ID_BYTES = 32;
const WORDS = ID_BYTES / 4;
const META = 4; // pack number + 1 (0: empty slot) with the type in the top bit, offset, length, uncompressed length
const MAX_LOAD = 0.8;
const SHARDS = 256;

/**
 * One open-addressing table (linear probing) of the ids whose shardOf() byte is its number. Ids are
 * read and compared as 32-bit words (a typed array's element): Buffer's readUInt32LE, compare and
 * copy per id cost a third of loading a 1,000,000-blob index.
 */
class Shard {
  count = 0;
  /** The ids, WORDS a slot; `ids` is the same memory as bytes. */
  words: Uint32Array;
  ids: Buffer;
  meta: Uint32Array;

  constructor(public capacity: number) {
    this.words = new Uint32Array(capacity * WORDS);
    this.ids = Buffer.from(this.words.buffer);
    this.meta = new Uint32Array(capacity * META);
  }

  /** The slot holding (type, the id at word `at` of `key`), or the empty slot where it would go (negative - 1). */
  find(key: Uint32Array, at: number, tree: boolean): number {
    const { words, meta, capacity } = this;
    const h = key[at + 1]!;
    let slot = h % capacity;
    for (;;) {
      const m = meta[slot * META]!;
      if (m === 0) return -slot - 1;
      // The hashed word first: most slots a probe passes differ there (a miss, the common case
      // in a first backup, passes several at 80 % load).
      if (words[slot * WORDS + 1] === h && (m & TREE_BIT) !== 0 === tree && sameId(words, slot * WORDS, key, at)) return slot;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /**
   * Moves every entry into a table of `capacity` slots (by default half as large again). The
   * entries are distinct, so each goes to the first empty slot of its probe: no comparison.
   */
  grow(capacity = Math.ceil(this.capacity * 1.5)): void {
    const old = { words: this.words, meta: this.meta, capacity: this.capacity };
    const words = new Uint32Array(capacity * WORDS);
    const meta = new Uint32Array(capacity * META);
    for (let s = 0; s < old.capacity; s++) {
      if (old.meta[s * META]! === 0) continue;
      let to = old.words[s * WORDS + 1]! % capacity;
      while (meta[to * META]! !== 0) to = to + 1 === capacity ? 0 : to + 1;
      for (let k = 0; k < WORDS; k++) words[to * WORDS + k] = old.words[s * WORDS + k]!;
      for (let k = 0; k < META; k++) meta[to * META + k] = old.meta[s * META + k]!;
    }
    this.capacity = capacity;
    this.words = words;
    this.ids = Buffer.from(words.buffer);
    this.meta = meta;
  }
}

/** The shard of the id at word `at`: a byte of it (the first on a little-endian machine; any byte is uniform). */
const shardOf = (key: Uint32Array, at: number): number => key[at]! & 0xff;

function sameId(a: Uint32Array, i: number, b: Uint32Array, j: number): boolean {
  for (let k = 0; k < WORDS; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

export class BlobIndex {
  private readonly shards: Shard[] = [];
  private count = 0;
  private readonly packs: Id[] = [];
  private readonly packNumbers = new Map<Id, number>();
  private readonly scratchWords = new Uint32Array(WORDS);
  private readonly scratch = Buffer.from(this.scratchWords.buffer);

  constructor(initialCapacity = 1024) {
    const perShard = Math.max(8, Math.ceil(initialCapacity / SHARDS / MAX_LOAD));
    for (let i = 0; i < SHARDS; i++) this.shards.push(new Shard(perShard));
  }

  get size(): number {
    return this.count;
  }

  /** The id's words (in a scratch array, valid until the next call). */
  private key(id: Id): Uint32Array {
    if (this.scratch.write(id, 'hex') !== ID_BYTES) throw new RangeError(`Invalid blob id '${id}'`);
    return this.scratchWords;
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
    this.insert(this.key(b.id), 0, this.packNumber(pack), b.type === 'tree', b.offset, b.length, b.uncompressedLength ?? 0);
  }

  /** Adds the blobs of a scanned index file (index-scan.ts), as add() does each. */
  addScanned(file: ScannedIndex): void {
    const numbers = file.packs.map((p) => this.packNumber(p));
    const { ids, meta } = file;
    for (let i = 0; i < file.blobs; i++) {
      const m = meta[i * 4]!;
      this.insert(ids, i * WORDS, numbers[(m & ~TREE_BIT) >>> 0]!, (m & TREE_BIT) !== 0, meta[i * 4 + 1]!, meta[i * 4 + 2]!, meta[i * 4 + 3]!);
    }
  }

  /**
   * Makes room for `total` blobs in all, so that loading that many grows no shard again (each
   * shard sized for its share and a margin: ids are uniform, so shares differ by about their
   * square root). Call it with an estimate; a wrong one costs memory or later growth, nothing else.
   */
  reserve(total: number): void {
    const share = total / SHARDS;
    const need = Math.ceil((share + 4 * Math.sqrt(share) + 8) / MAX_LOAD);
    for (const shard of this.shards) if (shard.capacity < need) shard.grow(need);
  }

  /** Puts the id at word `at` of `key` in its shard unless there; an empty slot's meta word is 0, hence pack number + 1. */
  private insert(key: Uint32Array, at: number, packNumber: number, tree: boolean, offset: number, length: number, uncompressedLength: number): void {
    const shard = this.shards[shardOf(key, at)]!;
    let found = shard.find(key, at, tree);
    if (found >= 0) return;
    if (shard.count + 1 > shard.capacity * MAX_LOAD) {
      shard.grow();
      found = shard.find(key, at, tree);
    }
    const slot = -found - 1;
    for (let k = 0; k < WORDS; k++) shard.words[slot * WORDS + k] = key[at + k]!;
    const o = slot * META;
    shard.meta[o] = ((packNumber + 1) | (tree ? TREE_BIT : 0)) >>> 0;
    shard.meta[o + 1] = offset;
    shard.meta[o + 2] = length;
    shard.meta[o + 3] = uncompressedLength;
    shard.count++;
    this.count++;
  }

  has(type: BlobType, id: Id): boolean {
    const key = this.key(id);
    return this.shards[shardOf(key, 0)]!.find(key, 0, type === 'tree') >= 0;
  }

  get(type: BlobType, id: Id): BlobLocation | undefined {
    const key = this.key(id);
    const shard = this.shards[shardOf(key, 0)]!;
    const slot = shard.find(key, 0, type === 'tree');
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
