/**
 * prune's limits against restic 0.14 as the oracle (restic's prune --max-unused/--max-repack-size,
 * cmd_prune.go's choice of packs): on a repository restic made with partly used packs of
 * different unused shares, for each limit our prune deletes, repacks and keeps the same number of
 * packs restic's `prune --dry-run` plans; afterwards `restic check --read-data` passes, the
 * repository shrank by what was freed, and restic's own prune under the same limit finds nothing
 * left to do. The same for --repack-cacheable-only, --repack-small and --repack-uncompressed (on
 * repositories with ten or more small packs, and with uncompressed blobs). Also: interrupted
 * saves' `-tmp-` leftovers are removed only once old enough.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PASSWORD, hs, ok, pseudoRandom, restic, scratchDir, skip } from './restic-fixture.js';
import { pruneOracle, resticPlan } from './support/prune-oracle.js';

const { scratch, passwordFile } = scratchDir('hs-prune-oracle-');
const auth = (repo: string) => ['--repo', repo, '--password-file', passwordFile];
void PASSWORD;

const { samePlanAsRestic } = pruneOracle(scratch, passwordFile);

/** A restic repository whose old snapshots are forgotten: six data packs with 30 … 90 % unused, tree packs partly used. */
async function partlyUsedRepository(repo: string): Promise<void> {
  const src = join(scratch, `src-${repo.split('/').pop()}`);
  mkdirSync(src);
  ok(await restic(repo, 'init'), 'restic init');
  for (let i = 0; i < 6; i++) {
    // One backup = one data pack (well below 16 MiB, above restic's "small" 16/25 MiB): a kept
    // file and a file the next round deletes, in different proportions.
    const keep = 300_000 + i * 120_000;
    writeFileSync(join(src, `keep-${i}`), pseudoRandom(keep, `k${i}`));
    writeFileSync(join(src, `gone-${i}`), pseudoRandom(1_600_000 - keep, `g${i}`));
    if (i > 0) rmSync(join(src, `gone-${i - 1}`));
    ok(await restic(repo, 'backup', src), `restic backup ${i}`);
  }
  rmSync(join(src, 'gone-5'));
  ok(await restic(repo, 'backup', src), 'restic backup, the last');
  ok(await restic(repo, 'forget', '--keep-last', '1'), 'restic forget');
}

test('prune --max-unused, --max-repack-size and --repack-cacheable-only choose the packs restic 0.14 chooses; restic checks the result clean and has nothing left to do', { skip, timeout: 600_000 }, async () => {
  const base = join(scratch, 'base');
  await partlyUsedRepository(base);
  const limits: string[][] = [
    ['--max-unused', 'unlimited'], ['--max-unused', '0'], ['--max-unused', '5%'], ['--max-unused', '40%'], ['--max-unused', '2M'], ['--max-unused', '0', '--max-repack-size', '3M'], [],
    ['--repack-cacheable-only', '--max-unused', '0'], ['--repack-cacheable-only'],
  ];
  const seen = new Set<string>();
  for (const args of limits) {
    const { r, plan } = await samePlanAsRestic(base, args);
    const what = args.join(' ') || '(default 5%)';
    seen.add(`${plan.repack}`);
    if (args.includes('--max-repack-size')) assert.ok(r.packs_partly_used_kept! > 0, `${what}: the repack limit kept partly used packs`);
    if (args.includes('--repack-cacheable-only')) assert.ok(r.packs_partly_used_kept! > 0, `${what}: partly used data packs are kept`);
    if (args[1] === '5%' || args.length === 0) assert.ok(r.bytes_unused_after! <= 0.05 * (r.bytes_used! + r.bytes_unused_after!) + 1, `${what}: at most 5 % unused remains`);
  }
  assert.ok(seen.size >= 3, `the limits make different choices (repacked: ${[...seen].join(', ')})`);

  const bad = await hs('prune', ...auth(base), '--max-unused', '120%');
  assert.equal(bad.code, 64, bad.stderr); // EX_USAGE
  assert.match(bad.stderr, /max-unused '120%': a percentage must be at least 0 and below 100/);
  const badSize = await hs('prune', ...auth(base), '--max-repack-size', 'lots');
  assert.match(badSize.stderr, /max-repack-size 'lots': expected a size such as 500M/);
});

test('prune --repack-small repacks fully used packs below 80 % of the pack size when there are ten or more, as restic 0.14', { skip, timeout: 600_000 }, async () => {
  // Twelve backups adding one 1 MB file each: twelve fully used data packs of ~1 MB (above
  // 16 MiB / 25, below 80 % of 16 MiB) and twelve small tree packs.
  const base = join(scratch, 'small-base');
  const src = join(scratch, 'small-src');
  mkdirSync(src);
  ok(await restic(base, 'init'), 'restic init');
  for (let i = 0; i < 12; i++) {
    writeFileSync(join(src, `f-${i}`), pseudoRandom(1_000_000, `s${i}`));
    ok(await restic(base, 'backup', src), `restic backup ${i}`);
  }
  const plain = await samePlanAsRestic(base, []);
  const small = await samePlanAsRestic(base, ['--repack-small']);
  assert.ok(small.plan.repack >= plain.plan.repack + 12, `--repack-small also repacks the twelve data packs (default ${plain.plan.repack}, with it ${small.plan.repack})`);
  await samePlanAsRestic(base, ['--repack-small', '--repack-cacheable-only']);
  await samePlanAsRestic(base, ['--repack-small', '--max-repack-size', '4M']);
});

test('prune --repack-uncompressed compresses what was stored uncompressed (restic --compression off, our incompressible blobs), as restic 0.14; refused on a version 1 repository', { skip, timeout: 600_000 }, async () => {
  const base = join(scratch, 'plain-base');
  const src = join(scratch, 'plain-src');
  mkdirSync(src);
  ok(await restic(base, 'init'), 'restic init');
  writeFileSync(join(src, 'text'), 'a line of text that compresses well\n'.repeat(60_000));
  writeFileSync(join(src, 'random'), pseudoRandom(700_000, 'u'));
  ok(await restic(base, '--compression', 'off', 'backup', src), 'restic backup --compression off');
  writeFileSync(join(src, 'ours'), pseudoRandom(900_000, 'o')); // incompressible: we store it uncompressed
  ok(await hs('run', ...auth(base), src), 'our backup');
  const plain = await samePlanAsRestic(base, []);
  assert.equal(plain.r.blobs_compressed, 0, 'without the option nothing needs compressing (trees are compressed)');
  const { r, plan, ours } = await samePlanAsRestic(base, ['--repack-uncompressed']);
  assert.ok(plan.repack > plain.plan.repack, `the uncompressed packs are repacked (${plan.repack} vs ${plain.plan.repack})`);
  assert.ok(r.blobs_compressed! > 0, 'blobs were compressed');
  // (samePlanAsRestic: restic's prune --repack-uncompressed then finds nothing uncompressed to repack.)
  const restored = join(scratch, 'plain-restored');
  ok(await restic(ours, 'restore', 'latest', '--target', restored), 'restic restore');
  for (const f of ['text', 'random', 'ours']) assert.ok(readFileSync(join(restored, src, f)).equals(readFileSync(join(src, f))), `${f} restored byte-identical`);

  const v1 = join(scratch, 'v1');
  ok(await restic(v1, 'init', '--repository-version', '1'), 'restic init v1');
  const refused = await hs('prune', ...auth(v1), '--repack-uncompressed');
  assert.equal(refused.code, 64, refused.stderr);
  assert.match(refused.stderr, /--repack-uncompressed: compression requires at least repository format version 2/);
});

test('prune removes the -tmp- leftovers of interrupted saves once nobody has written them for 30 minutes; restic checks the repository clean', { skip, timeout: 120_000 }, async () => {
  const repo = join(scratch, 'tmp-repo');
  const src = join(scratch, 'tmp-src');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), pseudoRandom(500_000, 'tmp'));
  ok(await restic(repo, 'init'), 'restic init');
  ok(await hs('run', ...auth(repo), src), 'a backup');
  const old = [join(repo, 'data', 'ab', `${'ab'.repeat(32)}-tmp-1234567890`), join(repo, 'index', `${'cd'.repeat(32)}-tmp-0987654321`), join(repo, `config-tmp-55`)];
  const young = join(repo, 'snapshots', `${'ef'.repeat(32)}-tmp-42`);
  for (const f of [...old, young]) writeFileSync(f, pseudoRandom(100_000, f));
  const hourAgo = Date.now() / 1000 - 3600;
  for (const f of old) utimesSync(f, hourAgo, hourAgo);
  const r = JSON.parse(ok(await hs('prune', ...auth(repo), '--json'), 'prune').stdout) as Record<string, number>;
  assert.deepEqual([r.temp_files_removed, r.temp_bytes_removed, r.temp_files_kept], [3, 300_000, 1]);
  for (const f of old) assert.throws(() => statSync(f), /ENOENT/, `${f} removed`);
  assert.ok(statSync(young).isFile(), 'a file written in the last 30 minutes may be a live writer\'s: kept');
  rmSync(young);
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');
});

test('a hotstandby backup of tiny trees (an empty directory, one-byte files) leaves restic\'s default prune nothing to repack: trees are always compressed, as restic stores them', { skip, timeout: 300_000 }, async () => {
  // A tree that zstd cannot shrink (an empty directory's) used to be stored uncompressed, and
  // restic 0.14 repacks any tree pack holding an uncompressed blob: its first prune rewrote ours.
  const repo = join(scratch, 'tiny-trees');
  const src = join(scratch, 'tiny-src');
  mkdirSync(join(src, 'empty', 'deeper'), { recursive: true });
  writeFileSync(join(src, 'a'), 'x');
  ok(await hs('init', ...auth(repo)), 'init');
  ok(await hs('run', ...auth(repo), src), 'our backup');
  const plan = resticPlan(ok(await restic(repo, 'prune', '--dry-run', '-v'), 'restic prune -n').stdout);
  assert.deepEqual([plan.repack, plan.delete], [0, 0], 'restic would repack or delete nothing');
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');
});
