/**
 * `backup prune`: removes what no snapshot references (restic's prune, cmd/restic/cmd_prune.go),
 * under an exclusive lock (the caller takes it). Every blob the snapshots reach is kept once
 * (which copy of a blob stored in several packs counts as used: prune-usage.ts, restic's rules);
 * packs with nothing used are deleted, packs partly used are repacked (their used blobs copied,
 * still encrypted, into new packs) until the unused data left is within `maxUnused` (restic's
 * --max-unused, 5 % by default; prune-limits.ts) and no more than `maxRepackSize` was repacked,
 * packs no index lists are deleted (left by an interrupted backup; only safe because the
 * exclusive lock excludes running backups), so are the temporary files of interrupted saves
 * (leftovers.ts), and the index is rewritten.
 *
 * Which partly used packs are repacked, as restic 0.14 chooses (cmd_prune.go, decidePackAction):
 * packs holding trees (or mixed) first, then small packs, then data packs by their unused share,
 * largest first; tree packs are repacked whatever the unused limit (trees are small and read
 * often), data packs only while the unused data that would remain is above the limit; no pack is
 * repacked past the repack size. Sizes are the blobs' stored lengths. Fully used packs below
 * 1/25 of the pack size ("small"; below 80 % with `repackSmall`) are repacked when there are at
 * least 10 of them. `repackCacheableOnly` keeps every data pack (only tree and mixed packs are
 * repacked: those a cache holds). In format version 2 a pure tree pack holding an uncompressed
 * blob must be compressed, so must any pack with one under `repackUncompressed`: those are repacked
 * whatever the unused limit, and their uncompressed blobs are compressed on the way (restic's
 * repack always compresses in version 2; otherwise the next prune would repack them again).
 * Order for crash safety (design.rst, "Read and Write Ordering"): packs no index lists first
 * (nothing refers to them), then new packs, then the
 * new index files, then the old index files are removed, then the old packs — an interruption
 * at any point leaves a repository `restic check` accepts (at worst with unreferenced packs the
 * next prune removes). On a full disk that order fails (PruneNoSpaceError, nothing used
 * removed); `unsafeRecoverNoFreeSpace` (restic's --unsafe-recover-no-free-space) reverses it.
 */
import type { Id } from '../repo/id.js';
import { encodeIndexFile, type IndexPack } from '../repo/index-file.js';
import type { PackedBlob } from '../repo/pack.js';
import type { Repository } from '../repo/repository.js';
import type { SnapshotEntry } from '../snapshots.js';
import { loadSnapshots } from '../snapshots.js';
import { loadStoredIndex } from './index-files.js';
import { removeLeftovers } from './leftovers.js';
import { blobKey, packUsage, type Usage } from './prune-usage.js';
import { DEFAULT_MAX_UNUSED, parseMaxUnused } from './prune-limits.js';
import { RawPackWriter, compressSealedBlob, verifySealedBlob } from './pack-writer.js';
import { DEFAULT_PACK_SIZE } from '../repo/repository.js';
import { referencedBlobs } from './stats.js';

/** Index files are written with at most this many packs each (well under restic's 8 MiB). */
const PACKS_PER_INDEX_FILE = 4096;

export interface PruneOptions {
  dryRun?: boolean;
  /** Snapshots to keep alive (default: all in the repository). */
  snapshots?: SnapshotEntry[];
  packSize?: number;
  /** restic's --max-unused: `5%` (default), a size such as `100M`, `0` (repack all) or `unlimited`. */
  maxUnused?: string;
  /** restic's --max-repack-size in bytes (default: no limit). */
  maxRepackSize?: number;
  /** restic's --repack-cacheable-only: data packs are never repacked. */
  repackCacheableOnly?: boolean;
  /** restic's --repack-small: fully used packs below 80 % of the pack size count as small (not 1/25). */
  repackSmall?: boolean;
  /** restic's --repack-uncompressed: every pack holding an uncompressed blob is repacked, compressing it (format version 2). */
  repackUncompressed?: boolean;
  /** Now (epoch ms), for the age of temporary files (default: the wall clock). */
  now?: number;
  /** How old a temporary file must be to be removed (default: leftovers.ts, 30 minutes). */
  leftoverMinAgeMs?: number;
  /**
   * restic's --unsafe-recover-no-free-space: the repository's id (config), as a confirmation. For
   * a repository on a full disk: nothing is repacked, and the old index files and unused packs are
   * removed before the new index is written (an interruption in between leaves a repository with
   * no index: `restic rebuild-index` then rebuilds it from the packs).
   */
  unsafeRecoverNoFreeSpace?: string;
}

export interface PruneResult {
  dryRun: boolean;
  blobsUsed: number;
  blobsRemoved: number;
  bytesRemoved: number;
  packsKept: number;
  packsDeleted: number;
  packsRepacked: number;
  packsUnreferenced: number;
  packsWritten: number;
  bytesWritten: number;
  indexFilesRemoved: number;
  indexFilesWritten: number;
  /** Bytes of used blobs, and of unused ones left in kept packs after the prune (restic's "unused size after prune"). */
  bytesUsed: number;
  bytesUnusedAfter: number;
  /** Partly used packs kept as they are (within --max-unused or --max-repack-size). */
  packsPartlyUsedKept: number;
  /** Temporary files of interrupted saves removed, and their bytes; younger ones kept for a later prune. */
  tempFilesRemoved: number;
  tempBytesRemoved: number;
  tempFilesKept: number;
  /** Blobs that were stored uncompressed and were compressed by the repack. */
  blobsCompressed: number;
  /** Extra copies of used blobs (stored in more than one pack; restic's "duplicates"), and their bytes. */
  blobsDuplicate: number;
  bytesDuplicate: number;
}

/** A prune option the repository cannot honour (e.g. compression in format version 1). */
export class PruneOptionError extends Error {
  override name = 'PruneOptionError';
}

/** The storage ran out of space while prune wrote; what it had removed and what to do next. */
export class PruneNoSpaceError extends Error {
  override name = 'PruneNoSpaceError';
}

const isNoSpace = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC' || /no space left/i.test(String((err as Error | undefined)?.message));

export async function prune(repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  const dryRun = options.dryRun ?? false;
  const unusedLimit = parseMaxUnused(options.maxUnused ?? DEFAULT_MAX_UNUSED);
  const unsafe = options.unsafeRecoverNoFreeSpace !== undefined;
  if (unsafe && options.unsafeRecoverNoFreeSpace !== repo.config.id) throw new PruneOptionError(`--unsafe-recover-no-free-space: must pass this repository's id '${repo.config.id}' (given: '${options.unsafeRecoverNoFreeSpace}')`);
  // Recovering from a full disk repacks nothing: a repack writes before it frees (restic: max repack size 0).
  const maxRepack = unsafe ? 0 : options.maxRepackSize ?? Number.POSITIVE_INFINITY;
  const compressed = repo.config.version >= 2;
  if (options.repackUncompressed && !compressed) throw new PruneOptionError('--repack-uncompressed: compression requires at least repository format version 2 (this repository is version 1)');
  await repo.loadIndex();
  const stored = await loadStoredIndex(repo);
  if (stored.damaged.length) throw new Error(`index file ${stored.damaged[0]!.id} cannot be read (${stored.damaged[0]!.error}): run check first`);
  const onDisk = new Map((await repo.backend.list('data')).map((f) => [f.name, f.size]));
  const snapshots = options.snapshots ?? (await loadSnapshots(repo));
  const used = await referencedBlobs(repo, snapshots.map((s) => s.snapshot.tree));
  const wanted = new Set<string>([...[...used.trees].map((id) => blobKey('tree', id)), ...[...used.data].map((id) => blobKey('data', id))]);

  // Which copy of each used blob counts, and so what each pack holds that is used: prune-usage.ts
  // (restic's rules, duplicates included). A pack the index lists but that is gone is left out:
  // restic refuses to prune when such a pack holds a used blob; we take another copy where there
  // is one (a pack that is gone is dropped from the new index either way).
  const present = new Map([...stored.packs].filter(([pack]) => onDisk.has(pack)));
  const usage = packUsage(present, wanted);
  if (usage.missing.length) throw new Error(`${usage.missing.length} blobs the snapshots use are in no pack (e.g. ${usage.missing[0]!.slice(1)}): the repository is damaged, nothing was removed; run check`);

  const r: PruneResult = { dryRun, blobsUsed: wanted.size, blobsRemoved: 0, bytesRemoved: 0, packsKept: 0, packsDeleted: 0, packsRepacked: 0, packsUnreferenced: 0, packsWritten: 0, bytesWritten: 0, indexFilesRemoved: 0, indexFilesWritten: 0, bytesUsed: usage.usedBytes, bytesUnusedAfter: 0, packsPartlyUsedKept: 0, tempFilesRemoved: 0, tempBytesRemoved: 0, tempFilesKept: 0, blobsCompressed: 0, blobsDuplicate: usage.duplicateBlobs, bytesDuplicate: usage.duplicateBytes };
  const keep: IndexPack[] = [];
  const repack: Id[] = [];
  const remove: Id[] = [];
  // trees: the pack holds a tree blob (a tree or mixed pack: restic's "not a data pack");
  // mustCompress: it must be repacked to compress it (restic's mustCompress).
  type Candidate = { id: Id; blobs: PackedBlob[]; used: number; unused: number; unusedBlobs: number; trees: boolean; mustCompress: boolean };
  const candidates: Candidate[] = [];
  const small: Candidate[] = [];
  // restic's integer arithmetic on the target pack size (packSize / 25, or packSize / 5 * 4).
  const packSize = options.packSize ?? DEFAULT_PACK_SIZE;
  const smallBelow = options.repackSmall ? Math.floor(packSize / 5) * 4 : Math.floor(packSize / 25);
  // restic's unused total leaves out duplicates, but what is removed includes the copies counted
  // unused: the difference may go below zero (restic's unsigned arithmetic then wraps around).
  const unusedTotal = usage.unusedBytes;
  let unusedRemoved = 0;
  for (const p of usage.packs.values()) {
    const fileSize = onDisk.get(p.id)!;
    const unused = p.unusedBytes;
    // As restic counts a pack: its header belongs to the used part, so used + unused = its size.
    const trees = p.kind !== 'data';
    const mixed = p.kind === 'mixed';
    const mustCompress = compressed && p.uncompressed && (p.kind === 'tree' || options.repackUncompressed === true);
    const c: Candidate = { id: p.id, blobs: p.blobs, used: fileSize - unused, unused, unusedBlobs: p.unusedBlobs, trees, mustCompress };
    if (p.used.length === 0) {
      remove.push(p.id);
      r.packsDeleted++;
      r.blobsRemoved += p.blobs.length;
      r.bytesRemoved += fileSize;
      unusedRemoved += unused;
    } else if (options.repackCacheableOnly && !trees) {
      // A data pack: only what a cache holds is repacked.
      keep.push({ id: p.id, blobs: p.blobs });
      r.packsKept++;
      if (unused > 0) r.packsPartlyUsedKept++;
    } else if (p.unusedBlobs > 0 || mixed || mustCompress) candidates.push(c); // partly used, mixed, or to compress
    else if (fileSize < smallBelow) small.push(c);
    else {
      keep.push({ id: p.id, blobs: p.blobs });
      r.packsKept++;
    }
  }
  // Small fully used packs are repacked only when there are at least 10 (restic: fewer are not
  // worth the trouble, and a single small pack would be repacked forever).
  if (small.length >= 10) candidates.push(...small);
  else
    for (const c of small) {
      keep.push({ id: c.id, blobs: c.blobs });
      r.packsKept++;
    }
  // restic's order: tree (and mixed) packs first, then small packs, then the largest unused share (a·d > c·b for a/b > c/d).
  const isSmall = (c: Candidate) => c.used + c.unused < smallBelow;
  candidates.sort((a, b) => (a.trees !== b.trees ? (a.trees ? -1 : 1) : isSmall(a) !== isSmall(b) ? (isSmall(a) ? -1 : 1) : b.unused * a.used - a.unused * b.used));
  const maxUnusedAfter = unusedLimit(r.bytesUsed);
  const unusedLeft = () => unusedTotal - unusedRemoved - unusedRepacked;
  let repackBytes = 0;
  let unusedRepacked = 0;
  for (const c of candidates) {
    const size = c.used + c.unused;
    const reachedRepackSize = repackBytes + size >= maxRepack;
    const left = unusedLeft();
    const reachedUnused = left < 0 ? maxUnusedAfter === Number.POSITIVE_INFINITY : left < maxUnusedAfter;
    // Tree packs and packs to compress are limited by the repack size only.
    if (reachedRepackSize || (!c.trees && !c.mustCompress && reachedUnused && !isSmall(c))) {
      keep.push({ id: c.id, blobs: c.blobs });
      r.packsKept++;
      if (c.unused > 0) r.packsPartlyUsedKept++;
      continue;
    }
    repack.push(c.id);
    remove.push(c.id);
    r.packsRepacked++;
    r.blobsRemoved += c.unusedBlobs;
    r.bytesRemoved += size;
    repackBytes += size;
    unusedRepacked += c.unused;
  }
  r.bytesUnusedAfter = Math.max(0, unusedLeft());
  const leftovers = await removeLeftovers(repo.backend, { now: options.now ?? Date.now(), ...(options.leftoverMinAgeMs !== undefined ? { minAgeMs: options.leftoverMinAgeMs } : {}), dryRun });
  r.tempFilesRemoved = leftovers.removed.length;
  r.tempBytesRemoved = leftovers.bytesRemoved;
  r.tempFilesKept = leftovers.kept.length;
  const unreferenced: Id[] = [];
  for (const [pack, size] of onDisk) {
    if (stored.packs.has(pack)) continue;
    unreferenced.push(pack);
    r.packsUnreferenced++;
    r.bytesRemoved += size;
  }
  // Nothing to remove: the index is rewritten only to merge many small index files into few.
  const indexChanged = unsafe || remove.length > 0 || unreferenced.length > 0 || [...stored.packs.keys()].some((p) => !onDisk.has(p)) || stored.files.length > Math.ceil(keep.length / PACKS_PER_INDEX_FILE);
  if (dryRun || !indexChanged) return r;

  // Packs no index lists are removed first, as restic does: nothing refers to them (and no backup
  // that might is running: the lock is exclusive), and it frees space for what follows.
  for (const id of unreferenced) await repo.backend.remove({ type: 'data', name: id });
  if (unsafe) return recoverNoFreeSpace(repo, r, stored.files, keep, remove);
  try {
    return await rewrite(repo, options, r, usage, wanted, keep, repack, remove, stored.files, compressed);
  } catch (err) {
    if (!isNoSpace(err)) throw err;
    throw new PruneNoSpaceError(
      `no space left on the repository's storage while prune was writing (${(err as Error).message}): nothing the snapshots use was removed, ` +
        `the repository is consistent${unreferenced.length ? ` (${unreferenced.length} unreferenced packs were removed first)` : ''}. ` +
        `Free some space, or try prune --max-repack-size 0; as a last resort (READ docs/backups.md first) prune --unsafe-recover-no-free-space ${repo.config.id}`,
    );
  }
}

/**
 * restic's order for --unsafe-recover-no-free-space (cmd_prune.go, doPrune): old index files
 * removed, then the unused packs, and only then the new index written — deletes before writes.
 */
async function recoverNoFreeSpace(repo: Repository, r: PruneResult, oldIndex: Id[], keep: IndexPack[], remove: Id[]): Promise<PruneResult> {
  for (const id of oldIndex) {
    await repo.backend.remove({ type: 'index', name: id });
    r.indexFilesRemoved++;
  }
  for (const id of remove) await repo.backend.remove({ type: 'data', name: id });
  for (let i = 0; i < keep.length; i += PACKS_PER_INDEX_FILE) {
    await repo.saveUnpacked('index', encodeIndexFile({ supersedes: [], packs: keep.slice(i, i + PACKS_PER_INDEX_FILE) }));
    r.indexFilesWritten++;
  }
  return r;
}

/** The safe order (design.rst, "Read and Write Ordering"): new packs, new index, old index removed, old packs removed. */
async function rewrite(repo: Repository, options: PruneOptions, r: PruneResult, usage: Usage, wanted: Set<string>, keep: IndexPack[], repack: Id[], remove: Id[], oldIndex: Id[], compressed: boolean): Promise<PruneResult> {
  // What the repack copies (restic's keepBlobs): each used blob of the repacked packs once, and
  // none a kept pack already holds (a duplicate whose chosen copy was repacked may survive in a
  // kept pack as an unused copy: that one then serves).
  const toCopy = new Set(wanted);
  for (const p of keep) for (const b of p.blobs) toCopy.delete(blobKey(b.type, b.id));
  const writer = new RawPackWriter(repo, options.packSize);
  try {
    for (const id of repack) {
      const bytes = await repo.backend.load({ type: 'data', name: id });
      for (const b of usage.packs.get(id)!.blobs) {
        if (!toCopy.delete(blobKey(b.type, b.id))) continue;
        const sealed = bytes.subarray(b.offset, b.offset + b.length);
        if (compressed && b.uncompressedLength === undefined) {
          const z = compressSealedBlob(repo, b, sealed);
          await writer.add(z.blob, z.sealed);
          r.blobsCompressed++;
          continue;
        }
        verifySealedBlob(repo, b, sealed);
        await writer.add(b, sealed);
      }
    }
    await writer.flush();
  } finally {
    writer.discard();
  }
  r.packsWritten = writer.written.length;
  r.bytesWritten = writer.bytesWritten;
  r.bytesRemoved -= writer.bytesWritten;

  const packs = [...keep, ...writer.written];
  const written = new Set<Id>();
  for (let i = 0; i < packs.length; i += PACKS_PER_INDEX_FILE) {
    written.add(await repo.saveUnpacked('index', encodeIndexFile({ supersedes: [], packs: packs.slice(i, i + PACKS_PER_INDEX_FILE) })));
    r.indexFilesWritten++;
  }
  for (const id of oldIndex) {
    if (written.has(id)) continue;
    await repo.backend.remove({ type: 'index', name: id });
    r.indexFilesRemoved++;
  }
  for (const id of remove) await repo.backend.remove({ type: 'data', name: id });
  return r;
}
