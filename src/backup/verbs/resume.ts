/**
 * Resuming after an interrupted backup (kill -9, power loss): the packs it saved are complete
 * files (backends write atomically) that no index lists, since the index is written at the end.
 * Before a backup, each such pack's header is read and its blobs are added to the index, so the
 * new backup re-uses them instead of uploading the data again; the backup's index then lists
 * them. A pack whose header cannot be read is left alone (prune removes it).
 */
import type { Repository } from '../repo/repository.js';

export interface ResumeResult {
  packs: number;
  blobs: number;
  bytes: number;
}

export async function adoptUnindexedPacks(repo: Repository): Promise<ResumeResult> {
  const out: ResumeResult = { packs: 0, blobs: 0, bytes: 0 };
  for (const f of await repo.backend.list('data')) {
    if (repo.hasPack(f.name)) continue;
    let blobs;
    try {
      blobs = await repo.readPackHeader(f.name);
    } catch {
      continue;
    }
    repo.adoptPack({ id: f.name, blobs });
    out.packs++;
    out.blobs += blobs.length;
    out.bytes += f.size;
  }
  return out;
}
