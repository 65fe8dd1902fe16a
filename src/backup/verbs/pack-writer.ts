/**
 * Writing packs from blobs that are already encrypted (prune's repacking): the sealed bytes are
 * copied as they are, after checking that they decrypt to their id, so a repack never spreads
 * damage and keeps each blob's compression — except uncompressed blobs of a format version 2
 * repository, which are compressed and sealed anew (compressSealedBlob), as restic's repack does.
 * Packs close at `packSize`, one type per pack.
 */
import type { Compression } from '../repo/compression.js';
import { zstd } from '../repo/compression.js';
import { open, seal } from '../repo/crypto.js';
import { hashId } from '../repo/id.js';
import type { IndexPack } from '../repo/index-file.js';
import type { BlobType, PackedBlob } from '../repo/pack.js';
import { savePackFile, type PackFile } from '../repo/pack-file.js';
import { DEFAULT_PACK_SIZE, type Repository } from '../repo/repository.js';

/** A sealed blob that does not decrypt to its id. */
export class DamagedBlobError extends Error {
  override name = 'DamagedBlobError';
}

/** Checks a sealed blob against its index entry: decrypts, decompresses, hashes. */
export function verifySealedBlob(repo: Repository, b: PackedBlob, sealed: Uint8Array, compression: Compression = zstd): void {
  let plain: Uint8Array;
  try {
    plain = open(repo.key, sealed);
    if (b.uncompressedLength !== undefined) plain = compression.decompress(plain);
  } catch (err) {
    throw new DamagedBlobError(`${b.type} blob ${b.id} does not decrypt: ${err instanceof Error ? err.message : String(err)}`);
  }
  const got = hashId(plain);
  if (got !== b.id) throw new DamagedBlobError(`${b.type} blob ${b.id} is damaged (its content hashes to ${got})`);
}

/**
 * An uncompressed sealed blob, checked against its id, then compressed and sealed with a fresh IV
 * (design.rst: compressed blobs carry their uncompressed length in the index). Always compressed,
 * even when zstd does not make it smaller (restic does the same; a blob left uncompressed would be
 * repacked again by the next prune that asks for compression).
 */
export function compressSealedBlob(repo: Repository, b: PackedBlob, sealed: Uint8Array, compression: Compression = zstd): { blob: PackedBlob; sealed: Buffer } {
  verifySealedBlob(repo, b, sealed, compression);
  const plain = open(repo.key, sealed);
  const resealed = seal(repo.key, compression.compress(plain));
  return { blob: { type: b.type, id: b.id, offset: 0, length: resealed.length, uncompressedLength: plain.length }, sealed: resealed };
}

export class RawPackWriter {
  readonly written: IndexPack[] = [];
  bytesWritten = 0;
  /** Packs being filled, in temporary files (pack-file.ts), one per type. */
  private readonly open = new Map<BlobType, { file: PackFile; blobs: PackedBlob[] }>();

  constructor(private readonly repo: Repository, private readonly packSize = DEFAULT_PACK_SIZE) {}

  async add(b: PackedBlob, sealed: Uint8Array): Promise<void> {
    let p = this.open.get(b.type);
    if (!p) {
      p = { file: this.repo.createPackFile(), blobs: [] };
      this.open.set(b.type, p);
    }
    const entry: PackedBlob = { type: b.type, id: b.id, offset: p.file.size, length: sealed.length };
    if (b.uncompressedLength !== undefined) entry.uncompressedLength = b.uncompressedLength;
    p.file.append(sealed);
    p.blobs.push(entry);
    if (p.file.size >= this.packSize) await this.close(b.type);
  }

  private async close(type: BlobType): Promise<void> {
    const p = this.open.get(type);
    if (!p) return;
    this.open.delete(type);
    if (p.blobs.length === 0) return p.file.close();
    const { id, size } = await savePackFile(this.repo.backend, this.repo.key, p.file, p.blobs);
    this.written.push({ id, blobs: p.blobs });
    this.bytesWritten += size;
  }

  async flush(): Promise<void> {
    await this.close('data');
    await this.close('tree');
  }

  /** Drops the packs not yet written (a repack that failed). */
  discard(): void {
    for (const p of this.open.values()) p.file.close();
    this.open.clear();
  }
}
