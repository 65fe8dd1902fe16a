/**
 * Content-defined chunking with a Rabin fingerprint, cutting exactly where restic's chunker
 * (github.com/restic/chunker) cuts, so that files split the same way in both programs
 * (design.rst, "Backups and Deduplication": a 64-byte sliding window, chunks of 512 KiB to
 * 8 MiB, 1 MiB on average, the repository's own polynomial from `config`).
 *
 * The facts: the fingerprint is the window's bytes as a polynomial modulo the repository's
 * polynomial of degree 53; a byte sliding out is removed with a table of its contribution, one
 * sliding in is appended with a reduction table indexed by the digest's top 8 bits. Each chunk
 * starts with a zero window holding a single 1 byte; its first MinSize − 64 bytes are not hashed;
 * a cut follows the byte after which the low 20 bits of the digest are zero (once the chunk has
 * MinSize bytes), or the MaxSize-th byte.
 *
 * The digest stays below 2^53, held here as two 32-bit halves (hi: bits 32–52, lo: bits 0–31),
 * so the loop runs on int32 arithmetic. The four tables (out and mod, hi and lo halves) are one
 * Int32Array with each entry's halves side by side (`table`): the loop then keeps two array bases
 * in registers instead of five, and reads the two halves of an entry from one cache line.
 */
import { backupNative } from '../native.js';
import { degree, polyMod } from './polynomial.js';

export const WINDOW_SIZE = 64;
export const MIN_SIZE = 512 * 1024;
export const MAX_SIZE = 8 * 1024 * 1024;
const SPLIT_MASK = (1 << 20) - 1;

export interface ChunkerTables {
  outHi: Int32Array;
  outLo: Int32Array;
  modHi: Int32Array;
  modLo: Int32Array;
  /**
   * The same four tables interleaved, for the hot loop: out[b] at 2b (hi) and 2b + 1 (lo),
   * mod[b] at MOD_BASE + 2b (hi) and MOD_BASE + 2b + 1 (lo).
   */
  table: Int32Array;
}

/** Where the mod table's entries start in ChunkerTables.table. */
const MOD_BASE = 512;

const tableCache = new Map<bigint, ChunkerTables>();

const split = (v: bigint, hi: Int32Array, lo: Int32Array, i: number) => {
  hi[i] = Number(v >> 32n);
  lo[i] = Number(BigInt.asIntN(32, v));
};

/** The slide-out and reduction tables for `pol` (cached). */
export function chunkerTables(pol: bigint): ChunkerTables {
  const cached = tableCache.get(pol);
  if (cached) return cached;
  const k = degree(pol);
  if (k !== 53) throw new RangeError(`Chunker polynomial must have degree 53, ${pol.toString(16)} has ${k}`);
  const t: ChunkerTables = {
    outHi: new Int32Array(256),
    outLo: new Int32Array(256),
    modHi: new Int32Array(256),
    modLo: new Int32Array(256),
    table: new Int32Array(2 * MOD_BASE),
  };
  // Both tables are linear in b over GF(2): computed for the eight single bits, then each entry
  // is the XOR of a lower entry and a single-bit one (32 times fewer bigint reductions, which
  // took a third of a second at every start).
  const out: bigint[] = new Array<bigint>(256).fill(0n);
  const mod: bigint[] = new Array<bigint>(256).fill(0n);
  for (let bit = 0; bit < 8; bit++) {
    const b = 1 << bit;
    // out[b] = Hash(b || 0 × 63)
    let h = polyMod(BigInt(b), pol);
    for (let i = 0; i < WINDOW_SIZE - 1; i++) h = polyMod(h << 8n, pol);
    out[b] = h;
    // Only the remainder part of restic's mod table: the b·x^k part cancels the bits shifted
    // out above bit 52, which the two-halves digest drops by masking instead.
    mod[b] = polyMod(BigInt(b) << BigInt(k), pol);
  }
  for (let b = 0; b < 256; b++) {
    const low = b & -b;
    if (b !== low) {
      out[b] = out[low]! ^ out[b ^ low]!;
      mod[b] = mod[low]! ^ mod[b ^ low]!;
    }
    split(out[b]!, t.outHi, t.outLo, b);
    split(mod[b]!, t.modHi, t.modLo, b);
    t.table[2 * b] = t.outHi[b]!;
    t.table[2 * b + 1] = t.outLo[b]!;
    t.table[MOD_BASE + 2 * b] = t.modHi[b]!;
    t.table[MOD_BASE + 2 * b + 1] = t.modLo[b]!;
  }
  tableCache.set(pol, t);
  return t;
}

/**
 * Rolls the digest (digest[0] hi, digest[1] lo) over buf[i..bound), the byte sliding out being the
 * one 64 places back in `buf`. Returns the index of the first byte after which the low 20 bits
 * are zero, at or after `firstCut`, or -1 (digest updated to `bound`). Nothing else is in the
 * loop: counting the length and testing MaxSize at every byte, as nextSplit's loop did, cost
 * some 10 % (191–268 → 210–295 MiB/s of CPU, interleaved runs on a loaded machine). Exported for
 * the tests that hold the addon's copy (native/chunk-scan.cc) to it.
 */
export function scan(buf: Uint8Array, i: number, bound: number, firstCut: number, digest: Int32Array, table: Int32Array): number {
  let hi = digest[0]!;
  let lo = digest[1]!;
  for (; i < bound; i++) {
    const out = buf[i - WINDOW_SIZE]! << 1;
    hi ^= table[out]!;
    lo ^= table[out + 1]!;
    const index = MOD_BASE + ((hi >>> 13) << 1);
    hi = (((hi & 0x1fff) << 8) | (lo >>> 24)) ^ table[index]!;
    lo = ((lo << 8) | buf[i]!) ^ table[index + 1]!;
    if ((lo & SPLIT_MASK) === 0 && i >= firstCut) break;
  }
  digest[0] = hi;
  digest[1] = lo;
  return i < bound ? i : -1;
}

type Scan = typeof scan;

/**
 * Ranges shorter than this are scanned here: a call into the addon costs about as much as
 * scanning this many bytes.
 */
const NATIVE_SCAN_MIN = 256;

/**
 * scan() in the addon when it has it (native/chunk-scan.cc: the same arithmetic on a 64-bit
 * digest, so the same cuts): on the bench's mixed set the TypeScript loop was a quarter of a
 * first backup's CPU time (2026-12-05, docs/backups.md). Chosen at the first Chunker.
 */
let fastScan: Scan | undefined;

function pickScan(): Scan {
  const native = backupNative()?.chunkScan;
  if (!native) return scan;
  return (buf, i, bound, firstCut, digest, table) => (bound - i < NATIVE_SCAN_MIN ? scan(buf, i, bound, firstCut, digest, table) : native(buf, i, bound, firstCut, digest, table));
}

/** Finds restic's cut points in a stream fed to it buffer by buffer. */
export class Chunker {
  private readonly window = new Uint8Array(WINDOW_SIZE);
  /** The digest's halves across scan() (hi, lo). */
  private readonly digest = new Int32Array(2);
  private wpos = 0;
  private hi = 0;
  private lo = 0;
  private count = 0;
  private pre = 0;

  private readonly scan: Scan;

  constructor(private readonly tables: ChunkerTables) {
    this.scan = fastScan ??= pickScan();
    this.reset();
  }

  /** Starts a new chunk. */
  reset(): void {
    this.window.fill(0);
    this.window[0] = 1;
    this.wpos = 1;
    this.hi = 0;
    this.lo = 1; // the digest of the single 1 byte
    this.count = 0;
    this.pre = MIN_SIZE - WINDOW_SIZE;
  }

  /**
   * Scans `buf[from..]` as the continuation of the current chunk. Returns the index just after
   * the chunk's last byte (and starts the next chunk there), or -1 when the chunk goes on past
   * the end of `buf`.
   */
  nextSplit(buf: Uint8Array, from = 0): number {
    let i = from;
    const end = buf.length;
    if (this.pre > 0) {
      const left = end - i;
      if (this.pre >= left) {
        this.pre -= left;
        this.count += left;
        return -1;
      }
      i += this.pre;
      this.count += this.pre;
      this.pre = 0;
    }
    const { outHi, outLo, modHi, modLo } = this.tables;
    const win = this.window;
    let hi = this.hi;
    let lo = this.lo;
    let wpos = this.wpos;
    let count = this.count;
    // The first 64 bytes slide out of the saved window; after that the byte sliding out is the
    // one 64 places back in `buf` itself, and the window is rebuilt from buf's tail at the end.
    const start = i;
    const windowEnd = Math.min(end, start + WINDOW_SIZE);
    for (; i < windowEnd; i++) {
      const b = buf[i]!;
      const out = win[wpos]!;
      win[wpos] = b;
      wpos = (wpos + 1) & (WINDOW_SIZE - 1);
      hi ^= outHi[out]!;
      lo ^= outLo[out]!;
      const index = hi >>> 13;
      hi = (((hi & 0x1fff) << 8) | (lo >>> 24)) ^ modHi[index]!;
      lo = ((lo << 8) | b) ^ modLo[index]!;
      count++;
      if ((lo & SPLIT_MASK) === 0 || count >= MAX_SIZE) {
        if (count < MIN_SIZE) continue;
        this.reset();
        return i + 1;
      }
    }
    // The rest of the buffer in scan(), which does the fingerprint and the split test only: the
    // chunk's length is `base + i` before byte i, MaxSize is the loop's bound, and MinSize is tested
    // only on a split.
    const base = count - i;
    const bound = Math.min(end, i + MAX_SIZE - count);
    const digest = this.digest;
    digest[0] = hi;
    digest[1] = lo;
    const cut = this.scan(buf, i, bound, MIN_SIZE - 1 - base, digest, this.tables.table);
    if (cut >= 0) {
      this.reset();
      return cut + 1;
    }
    i = bound;
    hi = digest[0]!;
    lo = digest[1]!;
    count = base + i;
    if (count >= MAX_SIZE) {
      this.reset();
      return i;
    }
    if (end - start > WINDOW_SIZE) {
      win.set(buf.subarray(end - WINDOW_SIZE, end));
      wpos = 0;
    }
    this.hi = hi;
    this.lo = lo;
    this.wpos = wpos;
    this.count = count;
    return -1;
  }
}

/** The chunk lengths of a whole buffer (tests and small inputs). */
export function chunkLengths(tables: ChunkerTables, data: Uint8Array): number[] {
  const c = new Chunker(tables);
  const lengths: number[] = [];
  let start = 0;
  for (;;) {
    const cut = c.nextSplit(data, start);
    if (cut < 0) break;
    lengths.push(cut - start);
    start = cut;
  }
  if (start < data.length) lengths.push(data.length - start);
  return lengths;
}
