/**
 * prune on a repository whose disk is full (a small tmpfs filled to ENOSPC), and restic 0.14's
 * --unsafe-recover-no-free-space (cmd_prune.go, doPrune; doc/060_forget.rst "Recovering from
 * no free space errors"). A normal prune writes the new index before it removes anything: on a
 * full disk it fails with a clear error and removes nothing, and restic checks the repository
 * clean. With the option and the repository's id it removes the old index and the unused packs
 * first, then writes the new index: it succeeds, and restic checks the result with --read-data.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hs, isRoot, ok, pseudoRandom, restic, scratchDir, skip } from './restic-fixture.js';
import { sizeOf } from './support/prune-oracle.js';

const { scratch, passwordFile } = scratchDir('hs-prune-nospace-');
const auth = (repo: string) => ['--repo', repo, '--password-file', passwordFile];
const rootSkip = skip || (!isRoot && 'mounting a tmpfs needs root');

/** Fills the filesystem of `dir` until a write fails with ENOSPC, leaving `spare` bytes (whole pages) free. */
function fill(dir: string, spare: number): void {
  const reserve = join(dir, 'reserve');
  writeFileSync(reserve, Buffer.alloc(spare, 1));
  const fd = openSync(join(dir, 'filler'), 'w');
  try {
    for (const chunk of [1 << 20, 64 << 10, 4 << 10, 512, 1])
      for (;;)
        try {
          writeSync(fd, Buffer.alloc(chunk, 2));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
  } finally {
    closeSync(fd);
  }
  rmSync(reserve);
}

test('prune on a full disk: a clear error and nothing removed; --unsafe-recover-no-free-space with the repository id frees it; restic checks clean', { skip: rootSkip, timeout: 300_000 }, async (t) => {
  const mnt = join(scratch, 'disk');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'hs-prune-nospace', mnt]);
  t.after(() => {
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    } catch {
      // not mounted any more
    }
  });
  const repo = join(mnt, 'repo');
  const src = join(scratch, 'src');
  mkdirSync(src);
  ok(await restic(repo, 'init'), 'restic init');
  writeFileSync(join(src, 'old'), pseudoRandom(3_000_000, 'old'));
  ok(await restic(repo, 'backup', src), 'restic backup 1');
  rmSync(join(src, 'old'));
  writeFileSync(join(src, 'new'), pseudoRandom(2_000_000, 'new'));
  ok(await restic(repo, 'backup', src), 'restic backup 2');
  ok(await restic(repo, 'forget', '--keep-last', '1'), 'restic forget');
  const config = JSON.parse(ok(await restic(repo, 'cat', 'config'), 'restic cat config').stdout) as { id: string };

  // One page left: room for our lock file, none for a new index.
  fill(mnt, 4096);
  const before = { data: sizeOf(join(repo, 'data')), index: readdirSync(join(repo, 'index')).sort() };
  const failed = await hs('prune', ...auth(repo));
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /no space left on the repository's storage while prune was writing .*nothing the snapshots use was removed, the repository is consistent/);
  assert.ok(failed.stderr.includes(`--unsafe-recover-no-free-space ${config.id}`), 'the error names the way out, with the id');
  assert.deepEqual({ data: sizeOf(join(repo, 'data')), index: readdirSync(join(repo, 'index')).sort() }, before, 'nothing was removed');
  assert.deepEqual(readdirSync(join(repo, 'locks')), [], 'the lock was released');
  ok(await restic(repo, 'check'), 'restic check after the failed prune');

  const wrong = await hs('prune', ...auth(repo), '--unsafe-recover-no-free-space', 'f'.repeat(64));
  assert.equal(wrong.code, 64, wrong.stderr); // EX_USAGE
  assert.ok(wrong.stderr.includes(`--unsafe-recover-no-free-space: must pass this repository's id '${config.id}'`), wrong.stderr);

  const r = JSON.parse(ok(await hs('prune', ...auth(repo), '--json', '--unsafe-recover-no-free-space', config.id), 'prune --unsafe-recover-no-free-space').stdout) as Record<string, number>;
  assert.equal(r.packs_repacked, 0, 'nothing repacked');
  assert.ok(r.packs_deleted! >= 1, 'the forgotten backup\'s data pack was deleted');
  assert.ok(sizeOf(join(repo, 'data')) < before.data - 2_500_000, 'the old data is gone');
  rmSync(join(mnt, 'filler'));
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data after the recovery');
  const restored = join(scratch, 'restored');
  ok(await restic(repo, 'restore', 'latest', '--target', restored), 'restic restore');
  assert.ok(readFileSync(join(restored, src, 'new')).equals(pseudoRandom(2_000_000, 'new')), 'the kept file restores byte-identical');
});
