/**
 * hotstandby's side of the `backup` bench row, one operation per process (so that its time and
 * peak memory are its own), through the library as the CLI and the daemon use it:
 *
 *   node dist/bench/backup-driver.js init REPO
 *   node dist/bench/backup-driver.js backup REPO PATH
 *   node dist/bench/backup-driver.js restore REPO TARGET              (the latest snapshot)
 *   node dist/bench/backup-driver.js restore-file REPO PATH TARGET    (one file of the latest)
 *
 * The password comes from RESTIC_PASSWORD, as for restic. Prints one JSON line of statistics.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { relaunchWithBackupFlags } from '../src/backup/node-flags.js';
import type { Repository } from '../src/backup/repo/repository.js';
import type { TreeNode } from '../src/backup/repo/tree.js';

// As `hotstandby backup run | restore` do: node again with the backup's V8 flags (node-flags.ts),
// before the backup's modules load (they are imported below, once); not for one file, as
// `restore --include` does not.
if (process.argv[2] !== 'restore-file') relaunchWithBackupFlags((message) => console.error(`backup-driver: ${message}`));
const { backendFromLocation } = await import('../src/backup/backend/from-location.js');
const { backup } = await import('../src/backup/archiver.js');
const { restore } = await import('../src/backup/restorer.js');
const { Repository: Repo } = await import('../src/backup/repo/repository.js');
const { decodeTree } = await import('../src/backup/repo/tree.js');
const { findSnapshot } = await import('../src/backup/snapshots.js');

const password = process.env.RESTIC_PASSWORD ?? '';

async function restoreOneFile(repo: Repository, path: string, target: string): Promise<number> {
  const { snapshot } = await findSnapshot(repo, 'latest');
  await repo.loadIndex();
  let tree = snapshot.tree;
  let node: TreeNode | undefined;
  const parts = path.split('/').filter(Boolean);
  for (const [i, part] of parts.entries()) {
    node = decodeTree(await repo.loadBlob('tree', tree)).find((n) => n.name === part);
    if (!node) throw new Error(`${path} is not in the snapshot`);
    if (i < parts.length - 1) {
      if (node.type !== 'dir' || !node.subtree) throw new Error(`${parts.slice(0, i + 1).join('/')} is not a directory`);
      tree = node.subtree;
    }
  }
  if (!node || node.type !== 'file') throw new Error(`${path} is not a file`);
  const out = join(target, path);
  await mkdir(join(out, '..'), { recursive: true });
  const fh = await open(out, 'wx', 0o600);
  let bytes = 0;
  try {
    for (const id of node.content ?? []) {
      const data = await repo.loadBlob('data', id);
      await fh.write(data);
      bytes += data.length;
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

async function main(): Promise<void> {
  const [verb, location, a, b] = process.argv.slice(2);
  if (!verb || !location) throw new RangeError('usage: backup-driver init|backup|restore|restore-file REPO …');
  const backend = backendFromLocation(location);
  if (verb === 'init') {
    await Repo.init(backend, password);
    return;
  }
  const repo = await Repo.open(backend, password);
  try {
    if (verb === 'backup') {
      const r = await backup(repo, { paths: [a!] });
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
