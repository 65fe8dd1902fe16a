/**
 * Index files in `index/` (design.rst, "Indexing"): `{"supersedes":[…],"packs":[{"id":…,"blobs":
 * [{"id":…,"type":"data"|"tree","offset":…,"length":…,"uncompressed_length":…}]}]}`, where
 * `supersedes` and `uncompressed_length` are left out when empty, as Go's omitempty does.
 * Stored in the unpacked format (see unpacked.ts).
 */
import { goJsonEncode, type GoJsonValue } from './go-json.js';
import { parseId, type Id } from './id.js';
import type { PackedBlob } from './pack.js';

export interface IndexPack {
  id: Id;
  blobs: PackedBlob[];
}

export interface IndexFile {
  supersedes: Id[];
  packs: IndexPack[];
}

export function encodeIndexFile(index: IndexFile): Buffer {
  const packs: GoJsonValue[] = index.packs.map((p) => ({
    id: p.id,
    blobs: p.blobs.map((b) => ({
      id: b.id,
      type: b.type,
      offset: b.offset,
      length: b.length,
      uncompressed_length: b.uncompressedLength || undefined,
    })),
  }));
  return Buffer.from(goJsonEncode({ supersedes: index.supersedes.length ? index.supersedes : undefined, packs }));
}

const uint = (v: unknown, what: string): number => {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new RangeError(`Invalid ${what} ${JSON.stringify(v)}`);
  return v as number;
};

export function decodeIndexFile(json: Uint8Array): IndexFile {
  const v = JSON.parse(Buffer.from(json).toString('utf8')) as { supersedes?: unknown; packs?: unknown };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    // Format version 1 had an older array-only index; restic rewrites those with `migrate`.
    throw new TypeError('Index is not a JSON object');
  }
  const supersedes = Array.isArray(v.supersedes) ? v.supersedes.map((s) => parseId(s, 'superseded index id')) : [];
  const packs: IndexPack[] = [];
  for (const p of Array.isArray(v.packs) ? v.packs : []) {
    const pack = p as { id?: unknown; blobs?: unknown };
    const blobs: PackedBlob[] = [];
    for (const b of Array.isArray(pack.blobs) ? pack.blobs : []) {
      const blob = b as Record<string, unknown>;
      if (blob.type !== 'data' && blob.type !== 'tree') throw new RangeError(`Invalid blob type ${JSON.stringify(blob.type)}`);
      const entry: PackedBlob = {
        type: blob.type,
        id: parseId(blob.id, 'blob id'),
        offset: uint(blob.offset, 'blob offset'),
        length: uint(blob.length, 'blob length'),
      };
      if (blob.uncompressed_length !== undefined && blob.uncompressed_length !== 0) entry.uncompressedLength = uint(blob.uncompressed_length, 'uncompressed_length');
      blobs.push(entry);
    }
    packs.push({ id: parseId(pack.id, 'pack id'), blobs });
  }
  return { supersedes, packs };
}
