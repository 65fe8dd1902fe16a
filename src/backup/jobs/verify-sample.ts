/**
 * A test restore of sampled files: files of the latest snapshot are read back from the repository
 * (each blob decrypted, authenticated and hashed against its id) and compared byte for byte with
 * the live file when that file is unchanged since the snapshot (same size and mtime); a file that
 * changed since is counted, not compared. What a restore would give is what is compared, without
 * writing anything.
 */
import { createHash } from 'node:crypto';
import { lstat, open } from 'node:fs/promises';
import { goTimeToNs } from '../repo/go-json.js';
import type { Repository } from '../repo/repository.js';
import { fsPath } from '../repo/names.js';
import type { TreeNode } from '../repo/tree.js';
import { walkTree } from '../walk.js';

export interface SampleResult {
  sampled: number;
  compared: number;
  changedSince: number;
  mismatches: string[];
}

/** Reservoir sampling (Algorithm R) of up to `n` file entries, with an injected random source. */
export async function sampleFiles(repo: Repository, tree: string, n: number, random: () => number): Promise<Array<{ path: string; node: TreeNode }>> {
  const out: Array<{ path: string; node: TreeNode }> = [];
  let seen = 0;
  for await (const entry of walkTree(repo, tree)) {
    if (entry.node.type !== 'file') continue;
    seen++;
    if (out.length < n) out.push(entry);
    else {
      const j = Math.floor(random() * seen);
      if (j < n) out[j] = entry;
    }
  }
  return out;
}

async function repoDigest(repo: Repository, node: TreeNode): Promise<string> {
  const h = createHash('sha256');
  for (const id of node.content ?? []) h.update(await repo.loadBlob('data', id));
  return h.digest('hex');
}

async function liveDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(fsPath(path), 'r');
  try {
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  } finally {
    await fh.close().catch(() => undefined);
  }
  return h.digest('hex');
}

/**
 * Compares sampled files with the live ones. `live` false (a command's output: nothing on disk
 * to compare with) reads them back from the repository only.
 */
export async function verifySample(repo: Repository, tree: string, n: number, live: boolean, random: () => number = Math.random): Promise<SampleResult> {
  const result: SampleResult = { sampled: 0, compared: 0, changedSince: 0, mismatches: [] };
  for (const { path, node } of await sampleFiles(repo, tree, n, random)) {
    result.sampled++;
    let stored: string;
    try {
      stored = await repoDigest(repo, node);
    } catch (err) {
      result.mismatches.push(`${path}: cannot be read back from the repository: ${(err as Error).message}`);
      continue;
    }
    if (!live) continue;
    let st;
    try {
      st = await lstat(fsPath(path), { bigint: true });
    } catch {
      result.changedSince++; // removed since the snapshot
      continue;
    }
    if (!st.isFile() || Number(st.size) !== (node.size ?? 0) || st.mtimeNs !== goTimeToNs(node.mtime)) {
      result.changedSince++;
      continue;
    }
    const current = await liveDigest(path);
    result.compared++;
    if (current !== stored) result.mismatches.push(`${path}: the restored bytes differ from the live file, which is unchanged since the snapshot (same size and mtime)`);
  }
  return result;
}
