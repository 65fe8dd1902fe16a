/**
 * Index files in `index/` (design.rst, "Indexing"): `{"supersedes":[…],"packs":[{"id":…,"blobs":
 * [{"id":…,"type":"data"|"tree","offset":…,"length":…,"uncompressed_length":…}]}]}`, where
 * `supersedes` and `uncompressed_length` are left out when empty, as Go's omitempty does.
 * Stored in the unpacked format (see unpacked.ts).
 */
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

/** What encodeIndexFile needs of a pack: its blobs as an array or a compact list (blob-list.ts). */
export interface IndexPackSource {
  id: Id;
  blobs: Iterable<PackedBlob> & { readonly length: number };
}

export interface IndexFileSource {
  supersedes: readonly Id[];
  packs: readonly IndexPackSource[];
}

/** The longest JSON of one blob entry (a 64-digit id, a type name, three 16-digit safe integers) and its comma. */
const MAX_BLOB_JSON = 190;

/**
 * The index file's JSON, as goJsonEncode would write it (Go's json.Marshal of restic's index
 * struct), but straight into one buffer: an index file lists up to 50,000 blobs, and building a
 * JSON value object per blob and then the whole text as a string took some 10 MB of heap at once.
 * Every field is an id (hex), a type name or an integer, so nothing needs escaping.
 */
export function encodeIndexFile(index: IndexFileSource): Buffer {
  let bound = 64;
  for (const id of index.supersedes) bound += id.length + 3;
  for (const p of index.packs) bound += 64 + p.id.length + p.blobs.length * MAX_BLOB_JSON;
  const out = Buffer.allocUnsafe(bound);
  let o = 0;
  const put = (text: string) => {
    o += out.write(text, o, 'latin1');
  };
  put('{');
  if (index.supersedes.length) put(`"supersedes":[${index.supersedes.map((id) => `"${checkedId(id)}"`).join(',')}],`);
  put('"packs":[');
  index.packs.forEach((p, i) => {
    put(`${i ? ',' : ''}{"id":"${checkedId(p.id)}","blobs":[`);
    let j = 0;
    for (const b of p.blobs) {
      const u = b.uncompressedLength ? `,"uncompressed_length":${checkedUint(b.uncompressedLength)}` : '';
      put(`${j++ ? ',' : ''}{"id":"${checkedId(b.id)}","type":"${b.type === 'tree' ? 'tree' : 'data'}","offset":${checkedUint(b.offset)},"length":${checkedUint(b.length)}${u}}`);
    }
    put(']}');
  });
  put(']}');
  return out.subarray(0, o);
}

const checkedId = (id: string): string => {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new RangeError(`Invalid id '${id}' in an index`);
  return id;
};

const checkedUint = (n: number): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Invalid length or offset ${n} in an index`);
  return n;
};

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
