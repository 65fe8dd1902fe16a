/**
 * `backup check`: restic's checks (internal/checker): the index files decode; every pack an index
 * lists exists with the size its blobs and header add up to; packs no index lists are reported
 * as hints (an interrupted backup leaves them; prune removes them); every snapshot decodes and
 * every tree it reaches loads, every file's blobs are indexed and add up to its size. With
 * `readData`, packs are read whole: the pack hashes to its name, its header matches the index,
 * every blob decrypts to its id. Whatever is damaged is traced to the snapshots and the files
 * (or directories) that use it, so the user knows what a damaged pack costs.
 */
import { randomInt } from 'node:crypto';
import { hashId, type Id } from '../repo/id.js';
import { decodeHeaderLength, decodePackTrailer, HEADER_LENGTH_SIZE, type PackedBlob } from '../repo/pack.js';
import type { Repository } from '../repo/repository.js';
import { decodeTree, type TreeNode } from '../repo/tree.js';
import { decodeSnapshot } from '../repo/snapshot.js';
import type { SnapshotEntry } from '../snapshots.js';
import { expectedPackSize, loadStoredIndex } from './index-files.js';
import { verifySealedBlob } from './pack-writer.js';

/** Which packs `--read-data-subset` reads. */
export type ReadDataSubset = { bucket: number; of: number } | { percent: number } | { bytes: number };

export interface CheckOptions {
  readData?: boolean;
  subset?: ReadDataSubset;
  /** Random integers in [0, n) for percentage and size subsets (injectable for tests). */
  random?: (n: number) => number;
  onProgress?: (done: number, total: number) => void;
}

export interface Affected {
  snapshot: Id;
  /** Paths in the snapshot whose content (files) or listing (directories) is damaged or missing. */
  paths: string[];
}

export interface CheckResult {
  errors: string[];
  hints: string[];
  packsChecked: number;
  packsRead: number;
  bytesRead: number;
  snapshotsChecked: number;
  damagedPacks: Id[];
  affected: Affected[];
}

/** Parses restic's `--read-data-subset`: "n/t", "x%" / "x.y%", or a size like "500M". */
export function parseSubset(text: string): ReadDataSubset {
  let m = /^(\d+)\/(\d+)$/.exec(text);
  if (m) {
    const bucket = Number(m[1]);
    const of = Number(m[2]);
    if (of < 1 || bucket < 1 || bucket > of) throw new RangeError(`read-data-subset ${text}: n/t needs 1 ≤ n ≤ t`);
    return { bucket, of };
  }
  m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (m) {
    const percent = Number(m[1]);
    if (percent <= 0 || percent > 100) throw new RangeError(`read-data-subset ${text}: the percentage must be in (0, 100]`);
    return { percent };
  }
  m = /^(\d+)([kKmMgGtT]?)$/.exec(text);
  if (m) {
    const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
    return { bytes: Number(m[1]) * unit };
  }
  throw new RangeError(`read-data-subset '${text}': expected n/t, x%, or a size such as 500M`);
}

/** The packs a subset selects: n/t by the first byte of the id as restic does, else at random. */
export function selectPacks(packs: readonly { id: Id; size: number }[], subset: ReadDataSubset | undefined, random: (n: number) => number): Id[] {
  const sorted = [...packs].sort((a, b) => (a.id < b.id ? -1 : 1));
  if (!subset) return sorted.map((p) => p.id);
  if ('bucket' in subset) return sorted.filter((p) => parseInt(p.id.slice(0, 2), 16) % subset.of === subset.bucket - 1).map((p) => p.id);
  const pool = [...sorted];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  if ('percent' in subset) {
    const n = Math.max(1, Math.floor((pool.length * subset.percent) / 100));
    return pool.slice(0, Math.min(n, pool.length)).map((p) => p.id).sort();
  }
  const out: Id[] = [];
  let total = 0;
  for (const p of pool) {
    if (total >= subset.bytes) break;
    out.push(p.id);
    total += p.size;
  }
  return out.sort();
}

const bkey = (type: string, id: Id) => type[0] + id;

export async function check(repo: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  const r: CheckResult = { errors: [], hints: [], packsChecked: 0, packsRead: 0, bytesRead: 0, snapshotsChecked: 0, damagedPacks: [], affected: [] };
  const stored = await loadStoredIndex(repo);
  for (const d of stored.damaged) r.errors.push(`index ${d.id}: ${d.error}`);
  await repo.loadIndex().catch(() => undefined); // damaged files were reported above
  const onDisk = new Map((await repo.backend.list('data')).map((f) => [f.name, f.size]));

  /** Blobs (type+id) that cannot be trusted: missing, in a missing pack, or failing to decrypt. */
  const bad = new Set<string>();
  const damagedPacks = new Set<Id>();
  for (const [pack, blobs] of stored.packs) {
    r.packsChecked++;
    const size = onDisk.get(pack);
    if (size === undefined) {
      r.errors.push(`pack ${pack}: listed in the index but does not exist`);
      damagedPacks.add(pack);
      continue;
    }
    const expected = expectedPackSize(blobs);
    if (size !== expected) {
      r.errors.push(`pack ${pack}: has ${size} bytes, the index says ${expected}`);
      damagedPacks.add(pack);
    }
  }
  for (const pack of onDisk.keys()) if (!stored.packs.has(pack)) r.hints.push(`pack ${pack}: not referenced in any index (left by an interrupted backup; prune removes it)`);
  // Blobs whose every copy is in a pack found damaged so far.
  const copies = new Map<string, Id[]>();
  for (const [pack, blobs] of stored.packs) for (const b of blobs) copies.set(bkey(b.type, b.id), [...(copies.get(bkey(b.type, b.id)) ?? []), pack]);

  if (options.readData || options.subset) {
    const candidates = [...stored.packs.keys()].filter((p) => onDisk.has(p)).map((id) => ({ id, size: onDisk.get(id)! }));
    const chosen = selectPacks(candidates, options.subset, options.random ?? randomInt);
    let done = 0;
    for (const pack of chosen) {
      options.onProgress?.(done++, chosen.length);
      const errorsBefore = r.errors.length;
      for (const b of await readPack(repo, pack, stored.packs.get(pack)!, r)) bad.add(b);
      if (r.errors.length > errorsBefore) damagedPacks.add(pack);
    }
    options.onProgress?.(done, chosen.length);
  }
  for (const [k, packs] of copies) if (packs.every((p) => damagedPacks.has(p) && !onDisk.has(p))) bad.add(k);
  r.damagedPacks = [...damagedPacks].sort();

  const snapshots: SnapshotEntry[] = [];
  for (const id of (await repo.list('snapshots')).sort()) {
    try {
      snapshots.push({ id, snapshot: decodeSnapshot(await repo.loadUnpacked('snapshots', id)) });
    } catch (err) {
      r.errors.push(`snapshot ${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  r.snapshotsChecked = snapshots.length;
  const treeErrors = new Map<Id, string>();
  for (const s of snapshots) {
    const paths: string[] = [];
    await checkTree(repo, s.snapshot.tree, '', bad, treeErrors, paths, r.errors);
    if (paths.length) r.affected.push({ snapshot: s.id, paths });
  }
  return r;
}

/** Reads one pack whole, adding what is wrong to `r.errors`; returns the keys of its damaged blobs. */
async function readPack(repo: Repository, pack: Id, indexed: PackedBlob[], r: CheckResult): Promise<string[]> {
  const bytes = await repo.backend.load({ type: 'data', name: pack });
  r.packsRead++;
  r.bytesRead += bytes.length;
  const got = hashId(bytes);
  if (got !== pack) r.errors.push(`pack ${pack}: its content hashes to ${got}`);
  let header: PackedBlob[] | undefined;
  try {
    const n = decodeHeaderLength(bytes.subarray(bytes.length - HEADER_LENGTH_SIZE), bytes.length);
    header = decodePackTrailer(repo.key, bytes.subarray(bytes.length - HEADER_LENGTH_SIZE - n, bytes.length - HEADER_LENGTH_SIZE));
  } catch (err) {
    r.errors.push(`pack ${pack}: its header cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (header) {
    const inHeader = new Set(header.map((b) => `${bkey(b.type, b.id)}@${b.offset}+${b.length}`));
    for (const b of indexed) if (!inHeader.has(`${bkey(b.type, b.id)}@${b.offset}+${b.length}`)) r.errors.push(`pack ${pack}: ${b.type} blob ${b.id} is in the index but not in the pack's header`);
  }
  const damaged: string[] = [];
  for (const b of indexed) {
    try {
      if (b.offset + b.length > bytes.length) throw new Error(`${b.type} blob ${b.id} lies past the end of the pack`);
      verifySealedBlob(repo, b, bytes.subarray(b.offset, b.offset + b.length));
    } catch (err) {
      r.errors.push(`pack ${pack}: ${err instanceof Error ? err.message : String(err)}`);
      damaged.push(bkey(b.type, b.id));
    }
  }
  return damaged;
}

async function checkTree(repo: Repository, tree: Id, prefix: string, bad: Set<string>, treeErrors: Map<Id, string>, paths: string[], errors: string[]): Promise<void> {
  let nodes: TreeNode[];
  const known = treeErrors.get(tree);
  if (known !== undefined) {
    paths.push(prefix || '/');
    return;
  }
  try {
    if (bad.has(bkey('tree', tree))) throw new Error(`tree ${tree} is damaged`);
    if (!repo.lookup('tree', tree)) throw new Error(`tree ${tree} is not in the index`);
    nodes = decodeTree(await repo.loadBlob('tree', tree));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    treeErrors.set(tree, message);
    errors.push(`directory ${prefix || '/'}: ${message}`);
    paths.push(prefix || '/');
    return;
  }
  for (const n of nodes) {
    const path = `${prefix}/${n.name}`;
    if (n.type === 'dir') {
      if (!n.subtree) {
        errors.push(`directory ${path}: has no subtree`);
        paths.push(path);
      } else await checkTree(repo, n.subtree, path, bad, treeErrors, paths, errors);
      continue;
    }
    if (n.type !== 'file') continue;
    let size = 0;
    let damaged = false;
    for (const id of n.content ?? []) {
      const loc = repo.lookup('data', id);
      if (!loc) {
        errors.push(`file ${path}: data blob ${id} is not in the index`);
        damaged = true;
        continue;
      }
      if (bad.has(bkey('data', id))) damaged = true;
      size += loc.uncompressedLength ?? loc.length - 32;
    }
    if (!damaged && size !== (n.size ?? 0)) {
      errors.push(`file ${path}: its blobs hold ${size} bytes, the tree says ${n.size ?? 0}`);
      damaged = true;
    }
    if (damaged) paths.push(path);
  }
}
