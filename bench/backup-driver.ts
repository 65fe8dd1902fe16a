/**
 * hotstandby's side of the `backup` bench row, one operation per process (so that its time and
 * peak memory are its own), through the library as the CLI and the daemon use it:
 *
 *   node dist/bench/backup-driver.js init REPO
 *   node dist/bench/backup-driver.js backup REPO PATH
 *   node dist/bench/backup-driver.js restore REPO TARGET              (the latest snapshot)
 *   node dist/bench/backup-driver.js restore-file REPO PATH TARGET    (one file of the latest)
 *
 * The password comes from RESTIC_PASSWORD, as for restic; HOTSTANDBY_CHUNK_WORKERS=N sets the
 * backup's chunking threads (0: the main thread chunks, as before chunk-pool.ts) and
 * HOTSTANDBY_SEAL_WORKERS=N its sealing threads (repo/seal-pool.ts). Prints one JSON line of statistics.
 */
import { relaunchWithBackupFlags } from '../src/backup/node-flags.js';
import type { Repository } from '../src/backup/repo/repository.js';

// As `hotstandby backup run | restore` do: node again with the backup's V8 flags (node-flags.ts),
// before the backup's modules load (they are imported below, once); not for one file, as
// `restore --include` does not.
if (process.argv[2] !== 'restore-file') relaunchWithBackupFlags((message) => console.error(`backup-driver: ${message}`));
const { backendFromLocation } = await import('../src/backup/backend/from-location.js');
const { backup } = await import('../src/backup/archiver.js');
const { restore } = await import('../src/backup/restorer.js');
const { Repository: Repo } = await import('../src/backup/repo/repository.js');
const { findSnapshot } = await import('../src/backup/snapshots.js');

const password = process.env.RESTIC_PASSWORD ?? '';

/** `restore --include PATH` as the CLI runs it: the library's restore(), selecting one path. */
async function restoreOneFile(repo: Repository, path: string, target: string): Promise<number> {
  const { snapshot } = await findSnapshot(repo, 'latest');
  const select = (at: string) => ({ restore: at === path, descend: path.startsWith(`${at}/`) });
  const stats = await restore(repo, snapshot.tree, { target, select });
  if (stats.files !== 1) throw new Error(`${path} is not a file of the snapshot`);
  return stats.bytesWritten;
}

async function main(): Promise<void> {
  const [verb, location, a, b] = process.argv.slice(2);
  if (!verb || !location) throw new RangeError('usage: backup-driver init|backup|restore|restore-file REPO …');
  const backend = backendFromLocation(location);
  if (verb === 'init') {
    await Repo.init(backend, password);
    return;
  }
  const sealWorkers = process.env.HOTSTANDBY_SEAL_WORKERS;
  const repo = await Repo.open(backend, password, sealWorkers ? { sealWorkers: Number(sealWorkers) } : {});
  try {
    if (verb === 'backup') {
      const workers = process.env.HOTSTANDBY_CHUNK_WORKERS;
      const r = await backup(repo, { paths: [a!], ...(workers ? { chunkWorkers: Number(workers) } : {}) });
      console.log(JSON.stringify({ snapshot: r.id, ...r.stats }));
    } else if (verb === 'restore') {
      const { snapshot } = await findSnapshot(repo, 'latest');
      console.log(JSON.stringify(await restore(repo, snapshot.tree, { target: a! })));
    } else if (verb === 'restore-file') {
      console.log(JSON.stringify({ bytes: await restoreOneFile(repo, a!, b!) }));
    } else throw new RangeError(`Unknown verb '${verb}'`);
  } finally {
    await backend.close();
  }
}

await main();
