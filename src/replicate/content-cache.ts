/**
 * Content hashes of files by path, kept across restarts, so comparing an unchanged tree after a
 * restart reads metadata only (as rsync's quick check does, but with the hash still compared).
 *
 * The rule (docs/replication.md): a cached hash is used only while the file's stamp — device,
 * inode, size, nanosecond mtime and nanosecond ctime — is exactly what it was when the file was
 * hashed. ctime cannot be set from user space: every write, truncate, chmod, chown, rename or
 * `touch -d` moves it to the current time, so a file changed while the daemon was down, by any
 * means, has another stamp and is hashed again. One race remains, the one git calls "racily
 * clean": timestamps are coarse (a kernel tick; a second on some filesystems), so a file changed
 * again within the same tick as the hash was taken could keep its stamp. A hash is therefore only
 * kept when the file's ctime was at least RACY_NS before the hash started; younger files are hashed
 * again next time. (A wall clock set back by more than that, and a same-size write landing on the
 * very nanosecond of the earlier ctime, would be needed to fool it.)
 *
 * On disk: "hsdc2\n", then per entry u32 path length, path bytes, u32 value length, value (the
 * stamp: device, inode, size, ns mtime, ns ctime as big-endian u64s; then the 32-byte digest). Written to a temporary, fsynced, renamed. Anything unreadable is an empty
 * cache: it is only ever a shortcut.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { packU64, packWith } from './packed.js';
import type { RelPath } from './paths.js';

/** Version 2: binary stamps (version 1's decimal ones are not read: every file is hashed once again). */
const MAGIC = Buffer.from('hsdc2\n');
export const RACY_NS = 2_000_000_000n;

export interface StatStamp {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

function realWallNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** The stamp as 40 bytes (dev, ino, size, mtime ns, ctime ns; packed.ts): one small flat string per file. */
export function stampOf(st: StatStamp): string {
  return packU64(st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs);
}

export class ContentCache {
  /** path → stamp followed by the 32 digest bytes (latin1): one string per file. */
  private entries = new Map<RelPath, string>();
  /** Paths used or made during a full walk (sweep): what survives it. */
  private sweep: Set<RelPath> | undefined;
  private sweepers = 0;
  private changed = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    /** The wall clock in ns (file ctimes are wall-clock times); injectable for tests. */
    readonly wallNs: () => bigint,
  ) {}

  /** A cache in memory only. */
  static inMemory(wallNs = realWallNs): ContentCache {
    return new ContentCache(undefined, wallNs);
  }

  /** The cache kept in `file` (absent or unreadable: empty). */
  static async load(file?: string, wallNs = realWallNs): Promise<ContentCache> {
    const cache = new ContentCache(file, wallNs);
    if (file === undefined) return cache;
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes !== undefined) cache.decode(bytes);
    return cache;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The digest cached for `path` if its stamp is still `stamp`. */
  get(path: RelPath, stamp: string): Buffer | undefined {
    const value = this.entries.get(path);
    if (value === undefined || value.length !== stamp.length + 32 || !value.startsWith(stamp)) return undefined;
    this.sweep?.add(path);
    return Buffer.from(value.slice(stamp.length), 'latin1');
  }

  /** Records a hash taken at `hashedAtNs` (wall clock, ns), unless the file is too young to trust. */
  set(path: RelPath, stamp: string, ctimeNs: bigint, hashedAtNs: bigint, digest: Buffer): void {
    if (ctimeNs + RACY_NS > hashedAtNs) {
      if (this.entries.delete(path)) this.changed = true;
      return;
    }
    const value = packWith(stamp, digest);
    this.entries.set(path, value);
    this.sweep?.add(path);
    this.changed = true;
  }

  /** A walk of the whole tree starts: entries it does not touch (removed files) are dropped at its end. */
  beginSweep(): void {
    // Walks that overlap (two peers' sources) share one sweep: it ends with the last of them.
    if (this.sweepers++ === 0) this.sweep = new Set();
  }

  endSweep(): void {
    if (--this.sweepers > 0 || this.sweep === undefined) return;
    // The entries not seen are dropped in place: the kept ones (keys, values) stay as they are,
    // rather than the whole cache being copied into a new map at every full walk.
    const seen = this.sweep;
    this.sweep = undefined;
    for (const path of this.entries.keys()) {
      if (!seen.has(path)) {
        this.entries.delete(path);
        this.changed = true;
      }
    }
  }

  /** Writes the cache if it changed (one write at a time); a failure leaves the old file. */
  save(): Promise<void> {
    if (this.file === undefined || !this.changed) return this.writing;
    this.changed = false;
    const file = this.file;
    const bytes = this.encode();
    this.writing = this.writing.then(async () => {
      const temp = `${file}.tmp`;
      try {
        const handle = await open(temp, 'w', 0o600);
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, file);
      } catch {
        this.changed = true;
        await unlink(temp).catch(() => {});
      }
    });
    return this.writing;
  }

  private encode(): Buffer {
    let length = MAGIC.length;
    for (const [path, value] of this.entries) length += 8 + path.length + value.length;
    const out = Buffer.allocUnsafe(length);
    let o = MAGIC.copy(out, 0);
    for (const [path, value] of this.entries) {
      o = out.writeUInt32BE(path.length, o);
      o += out.write(path, o, 'latin1');
      o = out.writeUInt32BE(value.length, o);
      o += out.write(value, o, 'latin1');
    }
    return out;
  }

  private decode(bytes: Buffer): void {
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return;
    const entries = new Map<RelPath, string>();
    let o = MAGIC.length;
    while (o < bytes.length) {
      if (o + 4 > bytes.length) return;
      const pathLength = bytes.readUInt32BE(o);
      if (o + 4 + pathLength + 4 > bytes.length) return;
      const path = bytes.toString('latin1', o + 4, o + 4 + pathLength);
      o += 4 + pathLength;
      const valueLength = bytes.readUInt32BE(o);
      if (valueLength < 32 || o + 4 + valueLength > bytes.length) return;
      entries.set(path, bytes.toString('latin1', o + 4, o + 4 + valueLength));
      o += 4 + valueLength;
    }
    this.entries = entries;
  }
}
