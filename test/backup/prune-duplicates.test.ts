/**
 * prune with blobs stored more than once (duplicates), against restic 0.14 as the oracle
 * (cmd_prune.go's packInfoFromIndex; our rule: src/backup/verbs/prune-usage.ts). The repository
 * is what two or three backups written at the same time by different processes leave: each saved
 * the same blobs in its own packs and listed them in its own index file. We make it without a
 * race: three copies of one freshly initialised repository (same keys, same chunker polynomial)
 * each get one backup of the source as it is at that moment, then their data, index and snapshot
 * files are put together. The snapshot whose index file sorts first is forgotten, so that the
 * first copy of each duplicate in index order sits in a pack nothing else keeps alive.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ok, pseudoRandom, restic, scratchDir, skip } from './restic-fixture.js';
import { pruneOracle } from './support/prune-oracle.js';

const { scratch, passwordFile } = scratchDir('hs-prune-dup-');
const { samePlanAsRestic } = pruneOracle(scratch, passwordFile);

/** The one file in `dir` (a fresh copy's single index or snapshot file). */
const only = (dir: string): string => {
  const names = readdirSync(dir);
  assert.equal(names.length, 1, `${dir}: ${names.join(', ')}`);
  return names[0]!;
};

test('prune counts duplicate blobs as restic 0.14 does: the copy in a pack that stays is used, packs of nothing but other copies are deleted; restic checks the result clean', { skip, timeout: 600_000 }, async () => {
  const base = join(scratch, 'base');
  ok(await restic(base, 'init'), 'restic init');
  const src = join(scratch, 'src');
  mkdirSync(join(src, 'same'), { recursive: true });
  writeFileSync(join(src, 'same', 's'), pseudoRandom(200_000, 's')); // its tree is the same in every backup
  writeFileSync(join(src, 'a'), pseudoRandom(1_200_000, 'a'));
  // Three "concurrent" backups: each copy holds {same/s, a} plus its own file, in one data pack and one tree pack.
  const copies: { repo: string; index: string; snapshot: string }[] = [];
  for (const own of ['b', 'c', 'd']) {
    writeFileSync(join(src, own), pseudoRandom(1_200_000, own));
    const repo = join(scratch, `copy-${own}`);
    cpSync(base, repo, { recursive: true });
    ok(await restic(repo, 'backup', src), `restic backup into copy ${own}`);
    copies.push({ repo, index: only(join(repo, 'index')), snapshot: only(join(repo, 'snapshots')) });
    rmSync(join(src, own));
  }
  const merged = join(scratch, 'merged');
  cpSync(base, merged, { recursive: true });
  for (const c of copies) for (const sub of ['data', 'index', 'snapshots']) cpSync(join(c.repo, sub), join(merged, sub), { recursive: true, force: false, errorOnExist: true });
  const first = copies.reduce((a, b) => (a.index < b.index ? a : b));
  ok(await restic(merged, 'forget', first.snapshot), 'restic forget the snapshot whose index file sorts first');

  const plain = await samePlanAsRestic(merged, []);
  assert.ok(plain.r.blobs_duplicate! >= 3, `duplicates seen (${plain.r.blobs_duplicate}): same/s, a and the tree of same`);
  assert.ok(plain.plan.delete >= 2, `the forgotten backup's packs are deleted, not repacked (${JSON.stringify(plain.plan)})`);
  await samePlanAsRestic(merged, ['--max-unused', 'unlimited']);
  await samePlanAsRestic(merged, ['--max-unused', '0']);
  const again = await samePlanAsRestic(merged, ['--repack-cacheable-only']);
  assert.ok(again.r.packs_kept! > 0);

  // All snapshots kept: every duplicate is unused in all packs but one.
  const all = join(scratch, 'merged-all');
  cpSync(base, all, { recursive: true });
  for (const c of copies) for (const sub of ['data', 'index', 'snapshots']) cpSync(join(c.repo, sub), join(all, sub), { recursive: true, force: false, errorOnExist: true });
  await samePlanAsRestic(all, []);
});
