/**
 * How prune counts each pack's blobs as used or unused, following restic 0.14
 * (cmd/restic/cmd_prune.go, packInfoFromIndex), including blobs stored more than once (duplicates:
 * two backups written at the same time by different processes, or a backup that saved a blob
 * whose index entry another one had not yet written).
 *
 * The index is walked in restic's order: every data blob, then every tree blob (restic's
 * in-memory index holds one table per blob type), each in the order the index files list them.
 * - A blob the snapshots use that occurs once is used in its pack; a blob they do not use is unused.
 * - A used blob found in n > 1 packs is used in exactly one of them: walking its copies in order,
 *   the first copy in a pack that already has a used blob (a single used blob, or a duplicate
 *   chosen there earlier in the walk) is chosen; failing that, the last copy. Every other copy is
 *   unused. So duplicates gather in packs that must stay anyway, and a pack holding nothing but
 *   other copies becomes unused and is deleted rather than repacked.
 * - The used size counts each used blob once (its first copy in the walk); the unused size, which
 *   the --max-unused limit compares with, leaves out the duplicates (restic's "duplicates" line).
 *
 * Where restic walks several index files, their order is the order it loaded them (not fixed);
 * ours is the stored index's (index files by id). A choice between copies that both sit in packs
 * with other used blobs may therefore fall on a different (equally good) copy; what a pack
 * counts as — fully used, partly used, unused — is the same whenever at most one copy's pack has
 * other used blobs.
 */
import type { Id } from '../repo/id.js';
import type { PackedBlob } from '../repo/pack.js';

export type PackKind = 'data' | 'tree' | 'mixed';

export interface PackUsage {
  id: Id;
  /** The pack's blobs as the index lists them. */
  blobs: PackedBlob[];
  /** The blobs counted used in this pack (a chosen copy of a duplicate included). */
  used: PackedBlob[];
  unusedBlobs: number;
  /** Stored lengths of the used and unused blobs (without the pack header). */
  usedBytes: number;
  unusedBytes: number;
  kind: PackKind;
  /** The pack holds a blob stored uncompressed. */
  uncompressed: boolean;
}

export interface Usage {
  /** Per pack, in the order given. */
  packs: Map<Id, PackUsage>;
  /** Each used blob once (restic's "used"). */
  usedBytes: number;
  usedBlobs: number;
  /** Copies beyond the first of used blobs (restic's "duplicates"). */
  duplicateBytes: number;
  duplicateBlobs: number;
  /** Blobs no snapshot uses (restic's "unused"; duplicates not included). */
  unusedBytes: number;
  unusedBlobs: number;
  /** Used blobs no pack holds (the repository is damaged). */
  missing: string[];
}

/** A blob's key in `wanted`: its type's first letter and its id. */
export const blobKey = (type: string, id: Id): string => type[0] + id;

/** Every index entry in restic's walking order: all data blobs, then all tree blobs. */
function* walk(packs: ReadonlyMap<Id, PackedBlob[]>): Generator<[Id, PackedBlob]> {
  for (const type of ['data', 'tree'])
    for (const [pack, blobs] of packs)
      for (const b of blobs) if (b.type === type) yield [pack, b];
}

/** Counts the packs' blobs as used or unused given the blobs the snapshots use (`wanted`, by blobKey). */
export function packUsage(packs: ReadonlyMap<Id, PackedBlob[]>, wanted: ReadonlySet<string>): Usage {
  const u: Usage = { packs: new Map(), usedBytes: 0, usedBlobs: 0, duplicateBytes: 0, duplicateBlobs: 0, unusedBytes: 0, unusedBlobs: 0, missing: [] };
  // First walk: which used blobs occur more than once, and how often.
  const seen = new Set<string>();
  const copies = new Map<string, number>();
  for (const [, b] of walk(packs)) {
    const k = blobKey(b.type, b.id);
    if (!wanted.has(k)) {
      u.unusedBytes += b.length;
      u.unusedBlobs++;
    } else if (!seen.has(k)) {
      seen.add(k);
      u.usedBytes += b.length;
      u.usedBlobs++;
    } else {
      copies.set(k, (copies.get(k) ?? 1) + 1);
      u.duplicateBytes += b.length;
      u.duplicateBlobs++;
    }
  }
  for (const k of wanted) if (!seen.has(k)) u.missing.push(k);

  for (const [id, blobs] of packs) {
    const trees = blobs.some((b) => b.type === 'tree');
    const data = blobs.some((b) => b.type === 'data');
    u.packs.set(id, { id, blobs, used: [], unusedBlobs: 0, usedBytes: 0, unusedBytes: 0, kind: trees && data ? 'mixed' : trees ? 'tree' : 'data', uncompressed: blobs.some((b) => b.uncompressedLength === undefined) });
  }
  const markUsed = (p: PackUsage, b: PackedBlob) => {
    p.used.push(b);
    p.usedBytes += b.length;
  };
  const markUnused = (p: PackUsage, b: PackedBlob) => {
    p.unusedBlobs++;
    p.unusedBytes += b.length;
  };
  // Second walk: single blobs.
  for (const [pack, b] of walk(packs)) {
    const k = blobKey(b.type, b.id);
    if (copies.has(k)) continue;
    if (wanted.has(k)) markUsed(u.packs.get(pack)!, b);
    else markUnused(u.packs.get(pack)!, b);
  }
  // Third walk: each duplicate's copies; `copies` counts those left, 0 once one was chosen.
  if (copies.size > 0)
    for (const [pack, b] of walk(packs)) {
      const k = blobKey(b.type, b.id);
      const left = copies.get(k);
      if (left === undefined) continue;
      const p = u.packs.get(pack)!;
      if (left === 0) markUnused(p, b);
      else if (p.used.length > 0 || left === 1) {
        markUsed(p, b);
        copies.set(k, 0);
      } else {
        markUnused(p, b);
        copies.set(k, left - 1);
      }
    }
  return u;
}
