/**
 * A fast reader of index files (design.rst, "Indexing") for loading the index: it reads the JSON
 * exactly as Go's json.Encoder writes restic's index (and encodeIndexFile ours), with no
 * whitespace but a final newline, fields in the struct's order (`supersedes` omitted when empty, `uncompressed_length`
 * when zero), and puts the blobs straight into compact arrays: no JavaScript object or id string
 * per blob. Opening a repository of 1,000,000 blobs spent some 3 s of its 5.5 in JSON.parse, the
 * objects it makes, the id checks and the garbage collection after them.
 *
 * Anything else (other spacing or field order, an escape, a number too large for the index,
 * invalid JSON) makes scanIndexFile return undefined: the caller then reads the file with
 * decodeIndexFile (index-file.ts), which accepts every valid document and names what is wrong.
 */
import type { Id } from './id.js';

export interface ScannedIndex {
  supersedes: Id[];
  packs: Id[];
  /** How many blobs the file lists. */
  blobs: number;
  /** The blobs' ids, 32 bytes (8 words) each, in the file's order. */
  ids: Uint32Array;
  /**
   * Four words a blob: the number of its pack in `packs`, with TREE_BIT set for a tree blob; the
   * offset; the length; the uncompressed length (0: stored uncompressed).
   */
  meta: Uint32Array;
}

export const TREE_BIT = 0x80000000;

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const OPEN = bytes('{');
const SUPERSEDES = bytes('"supersedes":[');
const PACKS = bytes('"packs":[');
const PACK_ID = bytes('{"id":"');
const PACK_BLOBS = bytes('","blobs":[');
const BLOB_ID = bytes('{"id":"');
const BLOB_TYPE = bytes('","type":"');
const DATA = bytes('data');
const TREE = bytes('tree');
const OFFSET = bytes('","offset":');
const LENGTH = bytes(',"length":');
const UNCOMPRESSED = bytes(',"uncompressed_length":');
const COMMA = 0x2c;
const QUOTE = 0x22;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** The shortest blob entry: `{"id":"<64 hex>","type":"data","offset":0,"length":0}`. */
const MIN_BLOB_JSON = BLOB_ID.length + 64 + BLOB_TYPE.length + 4 + OFFSET.length + 1 + LENGTH.length + 1 + 1;

/** A lower-case hex digit's value, or -1. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;

/** Thrown inside the scan on the first byte it does not expect; never leaves this module. */
class Unexpected extends Error {}
const UNEXPECTED = new Unexpected();

class Scanner {
  p = 0;
  constructor(readonly b: Uint8Array) {}

  lit(l: Uint8Array): void {
    const { b } = this;
    let p = this.p;
    if (p + l.length > b.length) throw UNEXPECTED;
    for (let i = 0; i < l.length; i++, p++) if (b[p] !== l[i]) throw UNEXPECTED;
    this.p = p;
  }

  /** Consumes `c` when it is next. */
  take(c: number): boolean {
    if (this.b[this.p] !== c) return false;
    this.p++;
    return true;
  }

  /** A JSON number that is a whole number from 0 to 2^32 - 1 (the index's limit; blob-index.ts). */
  uint(): number {
    const { b } = this;
    let p = this.p;
    const first = b[p]! - 0x30;
    if (!(first >= 0 && first <= 9)) throw UNEXPECTED; // NaN past the end too
    let v = first;
    p++;
    if (first !== 0) {
      for (let d = b[p]! - 0x30; d >= 0 && d <= 9; d = b[++p]! - 0x30) {
        v = v * 10 + d;
        if (v > 0xffffffff) throw UNEXPECTED;
      }
    }
    this.p = p;
    return v;
  }

  /** 64 lower-case hex digits, decoded into `into` at `at`. */
  idInto(into: Uint8Array, at: number): void {
    const { b } = this;
    const p = this.p;
    if (p + 64 > b.length) throw UNEXPECTED;
    for (let i = 0; i < 32; i++) {
      const hi = HEX[b[p + 2 * i]!]!;
      const lo = HEX[b[p + 2 * i + 1]!]!;
      if ((hi | lo) < 0) throw UNEXPECTED;
      into[at + i] = (hi << 4) | lo;
    }
    this.p = p + 64;
  }

  /** 64 lower-case hex digits, as an id string. */
  id(): Id {
    const start = this.p;
    this.idInto(ID_SCRATCH, 0);
    return Buffer.from(this.b.buffer, this.b.byteOffset + start, 64).toString('latin1');
  }
}

const ID_SCRATCH = new Uint8Array(32);

/** The index file's blobs in compact arrays, or undefined when the JSON is not in Go's exact form (see above). */
export function scanIndexFile(json: Uint8Array): ScannedIndex | undefined {
  const s = new Scanner(json);
  const room = Math.floor(json.length / MIN_BLOB_JSON) + 1;
  const ids = new Uint32Array(room * 8);
  const idBytes = new Uint8Array(ids.buffer);
  const meta = new Uint32Array(room * 4);
  const supersedes: Id[] = [];
  const packs: Id[] = [];
  let n = 0;
  try {
    s.lit(OPEN);
    if (json[s.p + 1] === 0x73 /* s */) {
      s.lit(SUPERSEDES);
      if (!s.take(CLOSE_ARRAY)) {
        do {
          if (!s.take(QUOTE)) throw UNEXPECTED;
          supersedes.push(s.id());
          if (!s.take(QUOTE)) throw UNEXPECTED;
        } while (s.take(COMMA));
        if (!s.take(CLOSE_ARRAY)) throw UNEXPECTED;
      }
      if (!s.take(COMMA)) throw UNEXPECTED;
    }
    s.lit(PACKS);
    if (!s.take(CLOSE_ARRAY)) {
      do {
        s.lit(PACK_ID);
        const pack = packs.length;
        if (pack >= TREE_BIT - 1) throw UNEXPECTED;
        packs.push(s.id());
        s.lit(PACK_BLOBS);
        if (!s.take(CLOSE_ARRAY)) {
          do {
            s.lit(BLOB_ID);
            s.idInto(idBytes, n * 32);
            s.lit(BLOB_TYPE);
            const tree = json[s.p] === 0x74; /* t */
            s.lit(tree ? TREE : DATA);
            s.lit(OFFSET);
            const o = n * 4;
            meta[o] = (pack | (tree ? TREE_BIT : 0)) >>> 0;
            meta[o + 1] = s.uint();
            s.lit(LENGTH);
            meta[o + 2] = s.uint();
            if (json[s.p] === COMMA) {
              s.lit(UNCOMPRESSED);
              meta[o + 3] = s.uint();
            } else meta[o + 3] = 0;
            if (!s.take(CLOSE_OBJECT)) throw UNEXPECTED;
            n++;
          } while (s.take(COMMA));
          if (!s.take(CLOSE_ARRAY)) throw UNEXPECTED;
        }
        if (!s.take(CLOSE_OBJECT)) throw UNEXPECTED;
      } while (s.take(COMMA));
      if (!s.take(CLOSE_ARRAY)) throw UNEXPECTED;
    }
    if (!s.take(CLOSE_OBJECT)) throw UNEXPECTED;
    // restic writes with Go's json.Encoder, which ends the document with a newline.
    while (s.p < json.length && (json[s.p] === 0x0a || json[s.p] === 0x0d || json[s.p] === 0x20 || json[s.p] === 0x09)) s.p++;
    if (s.p !== json.length) throw UNEXPECTED;
  } catch (err) {
    if (err === UNEXPECTED) return undefined;
    throw err;
  }
  return { supersedes, packs, blobs: n, ids, meta };
}
