/**
 * `backup run --stdin --stdin-filename NAME`: a stream (a database dump, a command's output) as a
 * snapshot with one file, as restic 0.14 stores it (cmd_backup.go with fs.Reader): the snapshot's
 * paths are ["/NAME"], its tree holds one node NAME, a file of mode 0644, owned by 0:0, with
 * mtime, atime and ctime the snapshot's time.
 */
import { Archiver, type BackupResult, type BackupStats } from '../archiver.js';
import { goTimeNow, type GoTime } from '../repo/go-json.js';
import type { Id } from '../repo/id.js';
import { whoAmI, type Repository } from '../repo/repository.js';
import { encodeSnapshot, type Snapshot } from '../repo/snapshot.js';
import { encodeTree, goModeFromUnix } from '../repo/tree.js';
import { adoptUnindexedPacks } from './resume.js';

export interface StdinBackupOptions {
  filename: string;
  /**
   * What to read: a file's path or a stream. Default: this process's standard input as a stream
   * (opening /dev/stdin fails with ENXIO when standard input is a socket, as a parent's spawn()
   * with a pipe gives it).
   */
  source?: string | AsyncIterable<Uint8Array>;
  tags?: string[];
  hostname?: string;
  programVersion?: string;
  time?: GoTime;
  stats?: BackupStats;
}

export async function backupStdin(repo: Repository, o: StdinBackupOptions): Promise<BackupResult> {
  if (o.filename === '' || o.filename.includes('/') || o.filename === '.' || o.filename === '..') throw new RangeError(`--stdin-filename must be a plain file name, not '${o.filename}'`);
  await repo.loadIndex();
  await adoptUnindexedPacks(repo); // what an interrupted backup saved is re-used
  const time = o.time ?? goTimeNow();
  const archiver = new Archiver(repo, false, [], o.stats);
  const source = o.source ?? process.stdin;
  let tree: { id: Id };
  try {
    const { content, size } = typeof source === 'string' ? await archiver.saveFile(source) : await archiver.saveStream(source);
    archiver.stats.files++;
    const saved = await repo.saveBlob('tree', encodeTree([{ name: o.filename, type: 'file', mode: goModeFromUnix(0o100644), mtime: time, atime: time, ctime: time, uid: 0, gid: 0, size, content }]));
    if (saved.saved) {
      archiver.stats.blobsSaved++;
      archiver.stats.bytesStored += saved.storedSize;
    }
    tree = saved;
    await repo.flush();
  } catch (err) {
    await repo.dropOpenPacks(); // no pack left half-made under a temporary name in the repository
    throw err;
  }
  const who = whoAmI();
  const snapshot: Snapshot = {
    time,
    tree: tree.id,
    paths: [`/${o.filename}`],
    hostname: o.hostname ?? who.hostname,
    username: who.username,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    programVersion: o.programVersion ?? 'hotstandby',
  };
  if (o.tags?.length) snapshot.tags = o.tags;
  const id = await repo.saveUnpacked('snapshots', encodeSnapshot(snapshot));
  return { id, snapshot, stats: archiver.stats, errors: [] };
}
