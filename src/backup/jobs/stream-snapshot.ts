/**
 * A stream (a command's stdout: a database dump, `pg_basebackup -D - -Ft`) as a snapshot holding
 * one file, as `restic backup --stdin --stdin-filename NAME` stores it: a root tree with one file
 * node (mode 0644, the time of the backup), the snapshot's paths `["/NAME"]`. Chunked with the
 * repository's polynomial like any file, so unchanged stretches of consecutive dumps deduplicate.
 * `finish` is awaited after the stream ends and before anything names the data: a source that
 * failed (exit status other than 0) leaves no snapshot, only blobs a prune removes.
 *
 * (hs-bkverbs adds `backup run --stdin`; once merged, this can call its function instead.)
 */
import { Chunker } from '../repo/chunker.js';
import { goTimeNow } from '../repo/go-json.js';
import type { Id } from '../repo/id.js';
import { whoAmI, type Repository } from '../repo/repository.js';
import { encodeSnapshot, type Snapshot } from '../repo/snapshot.js';
import { encodeTree, goModeFromUnix, type TreeNode } from '../repo/tree.js';

export interface StreamSnapshotOptions {
  filename: string;
  tags: string[];
  hostname?: string;
  /** Called for every piece read (progress). */
  onRead?: (bytes: number) => void;
  /** Resolves when the source ended well; rejects (no snapshot written) when it failed. */
  finish: () => Promise<void>;
}

export async function streamSnapshot(repo: Repository, source: AsyncIterable<Uint8Array>, options: StreamSnapshotOptions): Promise<{ id: Id; snapshot: Snapshot; size: number; blobsSaved: number; bytesStored: number }> {
  await repo.loadIndex();
  const chunker = new Chunker(repo.chunker);
  const content: Id[] = [];
  let size = 0;
  let blobsSaved = 0;
  let bytesStored = 0;
  let pieces: Uint8Array[] = [];
  const emit = async () => {
    const r = await repo.saveBlob('data', pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    pieces = [];
    content.push(r.id);
    if (r.saved) {
      blobsSaved++;
      bytesStored += r.storedSize;
    }
  };
  for await (const data of source) {
    size += data.length;
    options.onRead?.(data.length);
    let start = 0;
    for (let cut = chunker.nextSplit(data, start); cut >= 0; cut = chunker.nextSplit(data, start)) {
      pieces.push(data.subarray(start, cut));
      await emit();
      start = cut;
    }
    if (start < data.length) pieces.push(data.subarray(start));
  }
  if (pieces.length > 0) await emit();
  await options.finish();
  const now = goTimeNow();
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const node: TreeNode = { name: options.filename, type: 'file', mode: goModeFromUnix(0o100644), mtime: now, atime: now, ctime: now, uid, gid, size, content };
  const tree = await repo.saveBlob('tree', encodeTree([node]));
  await repo.flush();
  const who = whoAmI();
  const snapshot: Snapshot = {
    time: now,
    tree: tree.id,
    paths: [`/${options.filename}`],
    hostname: options.hostname ?? who.hostname,
    username: who.username,
    uid,
    gid,
    programVersion: 'hotstandby',
  };
  if (options.tags.length) snapshot.tags = options.tags;
  const id = await repo.saveUnpacked('snapshots', encodeSnapshot(snapshot));
  return { id, snapshot, size, blobsSaved: blobsSaved + (tree.saved ? 1 : 0), bytesStored: bytesStored + tree.storedSize };
}
