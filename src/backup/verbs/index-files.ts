/**
 * The repository's index files as they are stored (design.rst, "Indexing"), for the verbs that
 * rewrite or verify the index (prune, check): which packs each file lists, and every pack's
 * blobs (a pack listed by several files is taken once).
 */
import type { Id } from '../repo/id.js';
import { decodeIndexFile } from '../repo/index-file.js';
import { CRYPTO_OVERHEAD } from '../repo/crypto.js';
import { HEADER_LENGTH_SIZE, headerEncodingLength, type PackedBlob } from '../repo/pack.js';
import type { Repository } from '../repo/repository.js';

export interface StoredIndex {
  /** Index file ids. */
  files: Id[];
  /** Index files that could not be read, with the reason. */
  damaged: { id: Id; error: string }[];
  /** Each pack's blobs, as the first index file listing it says. */
  packs: Map<Id, PackedBlob[]>;
}

export async function loadStoredIndex(repo: Repository): Promise<StoredIndex> {
  const out: StoredIndex = { files: [], damaged: [], packs: new Map() };
  for (const id of (await repo.list('index')).sort()) {
    out.files.push(id);
    let file;
    try {
      file = decodeIndexFile(await repo.loadUnpacked('index', id));
    } catch (err) {
      out.damaged.push({ id, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const p of file.packs) if (!out.packs.has(p.id)) out.packs.set(p.id, p.blobs);
  }
  return out;
}

/** The stored size of a pack holding `blobs`: the blobs, the encrypted header and its length (pack.ts). */
export function expectedPackSize(blobs: readonly PackedBlob[]): number {
  let n = 0;
  for (const b of blobs) n += b.length;
  return n + headerEncodingLength(blobs) + CRYPTO_OVERHEAD + HEADER_LENGTH_SIZE;
}
