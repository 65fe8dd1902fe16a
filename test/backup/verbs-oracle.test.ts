/**
 * The verbs against restic 0.14 as the oracle:
 * - on a repository restic made: our find, stats and dump agree with restic's; our dump of a
 *   directory, unpacked by GNU tar and by bsdtar, is the source tree (modes, owners, nanosecond
 *   mtimes, symlinks, names of any bytes and of any length); our check passes where restic's does,
 *   and after a pack is corrupted names the damaged snapshots and files where restic's fails;
 * - our forget keeps and removes what restic's forget would (last, hourly, daily, weekly, monthly,
 *   yearly, tags; buckets in the zone a snapshot was recorded in), our prune leaves a repository
 *   `restic check --read-data` passes, restic lists the snapshots we kept and restores them;
 * - locks, both ways: a restic holding an exclusive lock stops our backup and prune, and ours
 *   stops restic's prune; our unlock removes only stale locks; a real restic prune caught in the
 *   middle of its repacking stops our backup and prune, which write nothing.
 * Skipped, with the reason, where restic is not installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, rmSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { findSnapshot } from '../../src/backup/snapshots.js';
import { walkTree } from '../../src/backup/walk.js';
import { PASSWORD, describe, hs, isRoot, makeSource, ok, pseudoRandom, restic, run, scratchDir, setNs, skip, waitFor } from './restic-fixture.js';

const { scratch, passwordFile } = scratchDir('hs-verbs-oracle-');
const auth = (repo: string) => ['--repo', repo, '--password-file', passwordFile];

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** A tree restic backs up: makeSource plus names past tar's 100/155-byte fields and a FIFO. */
function source(dir: string, seed: string): void {
  makeSource(dir, seed);
  const deep = join(dir, 'long', 'd'.repeat(120), 'e'.repeat(120));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'f'.repeat(200)), 'far down\n');
  setNs(join(deep, 'f'.repeat(200)), 1_600_000_000, 987_654_321);
  for (const d of [deep, join(dir, 'long', 'd'.repeat(120)), join(dir, 'long')]) setNs(d, 1_600_000_001, 1);
  setNs(dir, 1_600_000_002, 2);
}

const withoutLinks = (rows: string[]) => rows.map((r) => JSON.stringify((JSON.parse(r) as unknown[]).slice(0, 8)));

function tarExtract(tool: 'tar' | 'bsdtar', archive: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const args = tool === 'tar' ? ['-x', '-f', archive, '-C', into, '--same-permissions', '--numeric-owner'] : ['-x', '-f', archive, '-C', into, '-p', '--numeric-owner'];
  execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

test('on a repository restic made: find, stats and dump agree with restic; dump unpacks with GNU tar and bsdtar to the source tree', { skip }, async (t) => {
  const src = join(scratch, 'r-src');
  const repo = join(scratch, 'r-repo');
  source(src, 'r');
  ok(await restic(repo, 'init'), 'restic init');
  ok(await restic(repo, 'backup', src), 'restic backup');
  writeFileSync(join(src, 'later.txt'), 'second snapshot\n');
  ok(await restic(repo, 'backup', src), 'restic backup (2)');

  type FindOut = { snapshot: string; matches: { path: string }[] }[];
  const byPaths = (out: FindOut) => Object.fromEntries(out.map((s) => [s.snapshot, s.matches.map((m) => m.path).sort()]));
  for (const pattern of ['*.txt', 'deeper', `${src}/sub/**`, 'F*']) {
    const theirs = byPaths(JSON.parse(ok(await restic(repo, 'find', '--json', pattern), `restic find ${pattern}`).stdout) as FindOut);
    const ours = byPaths(JSON.parse(ok(await hs('find', ...auth(repo), '--json', pattern), `find ${pattern}`).stdout) as FindOut);
    assert.deepEqual(ours, theirs, `find ${pattern}`);
  }
  assert.ok(Object.values(byPaths(JSON.parse((await hs('find', ...auth(repo), '--json', '*.txt')).stdout) as FindOut)).some((p) => p.length >= 2));
  const ci = JSON.parse(ok(await hs('find', ...auth(repo), '--json', '-i', 'F*'), 'find -i').stdout) as FindOut;
  assert.ok(ci.some((s) => s.matches.some((m) => m.path.endsWith('/file'))), '--ignore-case');

  for (const mode of ['restore-size', 'raw-data']) {
    const theirs = JSON.parse(ok(await restic(repo, 'stats', '--json', '--mode', mode), `restic stats ${mode}`).stdout) as Record<string, number>;
    const ours = JSON.parse(ok(await hs('stats', ...auth(repo), '--json', '--mode', mode), `stats ${mode}`).stdout) as Record<string, number>;
    for (const k of Object.keys(theirs)) assert.equal(ours[k], theirs[k], `stats --mode ${mode}: ${k}`);
  }
  const one = JSON.parse(ok(await hs('stats', ...auth(repo), '--json', 'latest'), 'stats latest').stdout) as { snapshots_count: number };
  assert.equal(one.snapshots_count, 1);

  // dump of a file: the bytes restic's dump gives.
  const file = `${src}/random.bin`;
  const theirsFile = join(scratch, 'r-theirs.bin');
  const oursFile = join(scratch, 'r-ours.bin');
  execFileSync('sh', ['-c', `restic --no-cache -r "$1" dump latest "$2" > "$3"`, 'sh', repo, file, theirsFile], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD } });
  execFileSync('sh', ['-c', `"$1" bin/hotstandby backup dump --repo "$2" --password-file "$3" latest "$4" > "$5"`, 'sh', process.execPath, repo, passwordFile, file, oursFile]);
  assert.ok(readFileSync(oursFile).equals(readFileSync(theirsFile)));
  assert.ok(readFileSync(oursFile).equals(readFileSync(join(src, 'random.bin'))));

  // dump of a directory: a pax tar both tars unpack to the source tree.
  const tarFile = join(scratch, 'r.tar');
  execFileSync('sh', ['-c', `"$1" bin/hotstandby backup dump --repo "$2" --password-file "$3" latest "$4" > "$5"`, 'sh', process.execPath, repo, passwordFile, src, tarFile]);
  const tools = (['tar', 'bsdtar'] as const).filter(has);
  assert.ok(tools.includes('tar'), 'GNU tar is installed');
  if (!tools.includes('bsdtar')) {
    // .ci/run installs it as root: there, its absence is a broken CI, not a reason to check less.
    assert.ok(!(isRoot && process.env.CI === 'true'), 'bsdtar is not installed: CI must install libarchive-tools (.ci/run does) for the dump to be unpacked by bsdtar too');
    t.diagnostic('bsdtar is not installed (apt-get install libarchive-tools): the dump was unpacked by GNU tar only');
  }
  for (const tool of tools) {
    const into = join(scratch, `r-${tool}`);
    tarExtract(tool, tarFile, into);
    // Hard links are written as separate files (as restic's dump does): compare without link counts.
    assert.deepEqual(withoutLinks(describe(join(into, src))).slice(1), withoutLinks(describe(src)).slice(1), `unpacked by ${tool}`);
  }
  // restic's own dump names the same entries.
  const restictar = execFileSync('sh', ['-c', `restic --no-cache -r "$1" dump latest "$2" | tar -t`, 'sh', repo, src], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, maxBuffer: 1 << 26 });
  const ourtar = execFileSync('tar', ['-t', '-f', tarFile], { maxBuffer: 1 << 26 });
  const names = (b: Buffer) => b.toString('latin1').split('\n').filter(Boolean).map((n) => n.replace(/\/$/, '')).sort();
  assert.deepEqual(names(ourtar), names(restictar));
});

test('check: clean on restic\'s repository; a corrupted pack is named with the snapshots and files it damages, as restic also fails', { skip }, async () => {
  const src = join(scratch, 'c-src');
  const repo = join(scratch, 'c-repo');
  mkdirSync(join(src, 'data'), { recursive: true });
  writeFileSync(join(src, 'data', 'victim.bin'), pseudoRandom(1_500_000, 'victim'));
  writeFileSync(join(src, 'safe.txt'), 'untouched\n');
  ok(await restic(repo, 'init'), 'restic init');
  ok(await restic(repo, 'backup', src), 'restic backup');
  writeFileSync(join(src, 'other.txt'), 'more\n');
  ok(await hs('run', ...auth(repo), src), 'our backup into restic\'s repository');
  const clean = JSON.parse(ok(await hs('check', ...auth(repo), '--json', '--read-data'), 'check --read-data').stdout) as { ok: boolean; packs_read: number };
  assert.equal(clean.ok, true);
  assert.ok(clean.packs_read >= 2);
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');

  // Flip a byte in the middle of the victim's first data blob.
  const backend = new LocalBackend(repo);
  const r = await Repository.open(backend, PASSWORD);
  await r.loadIndex();
  const { snapshot } = await findSnapshot(r, 'latest');
  let blob: string | undefined;
  for await (const { path, node } of walkTree(r, snapshot.tree)) if (path.endsWith('/victim.bin')) blob = node.content![0];
  const loc = r.lookup('data', blob!)!;
  const packPath = join(repo, 'data', loc.pack.slice(0, 2), loc.pack);
  const fd = openSync(packPath, 'r+');
  const at = loc.offset + Math.floor(loc.length / 2);
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, at);
  writeSync(fd, Buffer.from([byte[0]! ^ 0x5a]), 0, 1, at);
  closeSync(fd);
  // The pack files it read stay open in the backend until closed (else Node closes them at GC, with a warning).
  await r.close();
  await backend.close();

  const structural = await hs('check', ...auth(repo), '--json');
  assert.equal(structural.code, 0, 'without reading data the damage is not seen (as restic)');
  const res = await hs('check', ...auth(repo), '--json', '--read-data');
  assert.equal(res.code, 1, res.stderr);
  const out = JSON.parse(res.stdout) as { ok: boolean; damaged_packs: string[]; damaged_snapshots: { snapshot: string; paths: string[] }[] };
  assert.equal(out.ok, false);
  assert.deepEqual(out.damaged_packs, [loc.pack]);
  const snaps = JSON.parse(ok(await restic(repo, 'snapshots', '--json'), 'restic snapshots').stdout) as { id: string }[];
  assert.deepEqual(out.damaged_snapshots.map((d) => d.snapshot).sort(), snaps.map((s) => s.id).sort(), 'both snapshots use the blob');
  for (const d of out.damaged_snapshots) assert.deepEqual(d.paths, [`${src}/data/victim.bin`]);
  const text = await hs('check', ...auth(repo), '--read-data');
  assert.match(text.stdout, new RegExp(`damaged packs: ${loc.pack.slice(0, 8)}`));
  assert.match(text.stdout, /these files cannot be restored whole:\n {2}.*victim\.bin/);
  // A subset holding that pack finds it; restic's full read fails as well.
  const bucket = (parseInt(loc.pack.slice(0, 2), 16) % 4) + 1;
  assert.equal((await hs('check', ...auth(repo), '--read-data-subset', `${bucket}/4`)).code, 1);
  assert.notEqual((await restic(repo, 'check', '--read-data')).code, 0);
});

test('forget keeps what restic\'s forget keeps; after our prune restic checks clean, lists our choice and restores it', { skip }, async () => {
  const src = join(scratch, 'f-src');
  const repo = join(scratch, 'f-repo');
  mkdirSync(src);
  ok(await hs('init', ...auth(repo)), 'init');
  // Snapshots over two months, each with a file of its own (so that forgetting frees data).
  const times: string[] = [];
  for (let i = 0; i < 14; i++) {
    const day = new Date(Date.UTC(2024, 0, 1 + i * 4, 3 + (i % 5)));
    times.push(day.toISOString().slice(0, 19).replace('T', ' '));
  }
  for (const [i, t] of times.entries()) {
    // Each snapshot holds the files of its day and the day before: forgetting frees data.
    if (i >= 2) rmSync(join(src, `day-${i - 2}`));
    writeFileSync(join(src, `day-${i}`), pseudoRandom(200_000 + i, `f${i}`));
    const tags = i === 1 ? ['--tag', 'keep'] : [];
    ok(await run('restic', ['--no-cache', '-r', repo, 'backup', '--time', t, ...tags, src], { RESTIC_PASSWORD: PASSWORD }), `restic backup at ${t}`);
  }
  ok(await hs('run', ...auth(repo), src), 'one snapshot of ours, now');
  const policy = ['--keep-last', '2', '--keep-weekly', '3', '--keep-monthly', '2', '--keep-tag', 'keep'];
  type Groups = { keep: { id: string }[] | null; remove: { id: string }[] | null }[];
  const ids = (g: Groups, k: 'keep' | 'remove') => g.flatMap((x) => (x[k] ?? []).map((s) => s.id)).sort();
  const theirs = JSON.parse(ok(await restic(repo, 'forget', '--dry-run', '--json', ...policy), 'restic forget --dry-run').stdout) as Groups;
  const dry = JSON.parse(ok(await hs('forget', ...auth(repo), '--dry-run', '--json', ...policy), 'forget --dry-run').stdout) as Groups;
  assert.deepEqual(ids(dry, 'keep'), ids(theirs, 'keep'));
  assert.deepEqual(ids(dry, 'remove'), ids(theirs, 'remove'));
  assert.ok(ids(theirs, 'remove').length >= 5, 'the policy removes something');
  assert.equal((JSON.parse((await restic(repo, 'snapshots', '--json')).stdout) as unknown[]).length, 15, 'a dry run removes nothing');

  const sizeOf = (dir: string): number => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((n, e) => n + statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size, 0);
  const before = sizeOf(join(repo, 'data'));
  const forgot = await hs('forget', ...auth(repo), ...policy, '--prune');
  ok(forgot, 'forget --prune');
  assert.match(forgot.stdout, /freed: /);
  const listed = (JSON.parse(ok(await restic(repo, 'snapshots', '--json'), 'restic snapshots').stdout) as { id: string }[]).map((s) => s.id).sort();
  assert.deepEqual(listed, ids(theirs, 'keep'));
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data after our prune');
  assert.ok(sizeOf(join(repo, 'data')) < before * 0.8, `the data shrank: ${before} → ${sizeOf(join(repo, 'data'))}`);
  // A kept old snapshot restores (its own file comes from repacked or kept packs).
  const target = join(scratch, 'f-target');
  const oldest = (JSON.parse((await restic(repo, 'snapshots', '--json')).stdout) as { id: string; time: string }[]).sort((a, b) => a.time.localeCompare(b.time))[0]!;
  ok(await restic(repo, 'restore', oldest.id, '--target', target), 'restic restore of a kept snapshot');
  const restoredFiles = readdirSync(join(target, src));
  assert.ok(restoredFiles.length >= 1);
  for (const f of restoredFiles) assert.ok(readFileSync(join(target, src, f)).equals(pseudoRandom(200_000 + Number(f.slice(4)), `f${f.slice(4)}`)));
  // Nothing left for restic's prune to do, and our second prune rewrites nothing.
  const again = JSON.parse(ok(await hs('prune', ...auth(repo), '--json'), 'prune again').stdout) as { packs_deleted: number; packs_repacked: number; packs_unreferenced: number };
  assert.deepEqual([again.packs_deleted, again.packs_repacked, again.packs_unreferenced], [0, 0, 0]);
  // Forgetting one snapshot by id.
  const victim = listed[0]!;
  ok(await hs('forget', ...auth(repo), victim.slice(0, 8)), 'forget ID');
  assert.ok(!(JSON.parse((await restic(repo, 'snapshots', '--json')).stdout) as { id: string }[]).some((s) => s.id === victim));
  ok(await restic(repo, 'check'), 'restic check');
});

test('forget --keep-hourly, --keep-daily, --keep-yearly and a mix keep what restic\'s forget keeps', { skip }, async () => {
  const src = join(scratch, 'fh-src');
  const repo = join(scratch, 'fh-repo');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), 'x');
  ok(await hs('init', ...auth(repo)), 'init');
  // Snapshots over four years: two in one hour, hours of one day, days, a leap day; one recorded in
  // Tokyo, where it is already New Year's Day (in UTC still the year before): buckets are in the
  // zone a snapshot was recorded in.
  const times: [string, string][] = [
    ['2021-03-10 09:00:00', 'UTC'],
    ['2021-11-30 18:00:00', 'UTC'],
    ['2022-06-15 12:00:00', 'UTC'],
    ['2023-01-01 00:30:00', 'Asia/Tokyo'],
    ['2023-05-20 10:00:00', 'UTC'],
    ['2023-05-20 10:45:00', 'UTC'],
    ['2023-05-20 11:15:00', 'UTC'],
    ['2023-05-21 08:00:00', 'UTC'],
    ['2024-02-28 23:10:00', 'UTC'],
    ['2024-02-29 01:05:00', 'UTC'],
    ['2024-02-29 01:50:00', 'UTC'],
    ['2024-02-29 02:20:00', 'UTC'],
    ['2024-02-29 22:00:00', 'UTC'],
  ];
  for (const [t, tz] of times) ok(await run('restic', ['--no-cache', '-r', repo, 'backup', '--time', t, src], { RESTIC_PASSWORD: PASSWORD, TZ: tz }), `restic backup at ${t} ${tz}`);
  type Groups = { keep: { id: string }[] | null; remove: { id: string }[] | null }[];
  const ids = (g: Groups, k: 'keep' | 'remove') => g.flatMap((x) => (x[k] ?? []).map((s) => s.id)).sort();
  const policies = [['--keep-hourly', '4'], ['--keep-daily', '3'], ['--keep-yearly', '3'], ['--keep-hourly', '2', '--keep-daily', '3', '--keep-yearly', '2'], ['--keep-daily', '2', '--keep-yearly', '9']];
  for (const policy of policies) {
    const theirs = JSON.parse(ok(await restic(repo, 'forget', '--dry-run', '--json', ...policy), `restic forget --dry-run ${policy}`).stdout) as Groups;
    const ours = JSON.parse(ok(await hs('forget', ...auth(repo), '--dry-run', '--json', ...policy), `forget --dry-run ${policy}`).stdout) as Groups;
    assert.deepEqual(ids(ours, 'keep'), ids(theirs, 'keep'), `kept by ${policy.join(' ')}`);
    assert.deepEqual(ids(ours, 'remove'), ids(theirs, 'remove'), `removed by ${policy.join(' ')}`);
    assert.ok(ids(theirs, 'keep').length >= 3 && ids(theirs, 'remove').length >= 3, `${policy.join(' ')} keeps some and removes some`);
  }
  // The mix for real: restic lists what its dry run would have kept.
  const mix = policies[3]!;
  const expected = ids(JSON.parse(ok(await restic(repo, 'forget', '--dry-run', '--json', ...mix), 'restic forget --dry-run').stdout) as Groups, 'keep');
  ok(await hs('forget', ...auth(repo), ...mix), `forget ${mix}`);
  const listed = (JSON.parse(ok(await restic(repo, 'snapshots', '--json'), 'restic snapshots').stdout) as { id: string }[]).map((s) => s.id).sort();
  assert.deepEqual(listed, expected);
  ok(await restic(repo, 'check'), 'restic check');
});

/** Lock files proper (a save in progress shows first under a temporary name). */
const lockFiles = (repo: string) => readdirSync(join(repo, 'locks')).filter((n) => /^[0-9a-f]{64}$/.test(n));
const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));

test('locks both ways: restic\'s exclusive lock stops our backup and prune; ours stops restic\'s prune; unlock removes only stale locks', { skip }, async () => {
  const src = join(scratch, 'l-src');
  const repo = join(scratch, 'l-repo');
  mkdirSync(src);
  for (let i = 0; i < 6; i++) writeFileSync(join(src, `big-${i}`), pseudoRandom(8 << 20, `l${i}`));
  ok(await restic(repo, 'init'), 'restic init');
  ok(await restic(repo, 'backup', src), 'restic backup');

  // restic check holds an exclusive lock while it reads; stop it there.
  const check = spawn('restic', ['--no-cache', '-r', repo, 'check', '--read-data'], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, stdio: 'ignore' });
  await waitFor(() => lockFiles(repo).length > 0, 'restic\'s lock');
  check.kill('SIGSTOP');
  try {
    for (const verb of [['run', src], ['prune'], ['forget', '--keep-last', '1']]) {
      const r = await hs(verb[0]!, ...auth(repo), ...verb.slice(1));
      assert.equal(r.code, 1, `${verb[0]} must not run beside restic's exclusive lock: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`already locked exclusively by PID ${check.pid}`));
    }
    assert.deepEqual(lockFiles(repo).length, 1, 'we left no lock of ours behind');
  } finally {
    check.kill('SIGCONT');
  }
  assert.equal(await exited(check), 0);

  // Our backup holds a lock while it runs; restic's prune must wait for it.
  writeFileSync(join(src, 'changed'), pseudoRandom(30 << 20, 'changed'));
  const ours = spawn(process.execPath, ['bin/hotstandby', 'backup', 'run', ...auth(repo), src], { stdio: 'ignore' });
  await waitFor(() => lockFiles(repo).length > 0, 'our lock');
  ours.kill('SIGSTOP');
  try {
    const pruned = await restic(repo, 'prune');
    assert.notEqual(pruned.code, 0);
    assert.match(pruned.stderr, /repository is already locked by PID \d+/);
  } finally {
    ours.kill('SIGCONT');
  }
  assert.equal(await exited(ours), 0);
  assert.deepEqual(lockFiles(repo), [], 'our lock is gone after the run');
  ok(await restic(repo, 'check'), 'restic check');

  // A stale lock (a process of this host that is gone) is removed by unlock; a live one is kept.
  const live = spawn(process.execPath, ['bin/hotstandby', 'backup', 'run', ...auth(repo), src], { stdio: 'ignore' });
  await waitFor(() => lockFiles(repo).length > 0, 'a live lock');
  live.kill('SIGSTOP');
  try {
    const dead = spawn(process.execPath, ['bin/hotstandby', 'backup', 'run', ...auth(repo), src], { stdio: 'ignore' });
    await waitFor(() => lockFiles(repo).length > 1, 'the lock of the run to kill');
    dead.kill('SIGKILL');
    await exited(dead);
    const blocked = await restic(repo, 'prune');
    assert.notEqual(blocked.code, 0, 'restic 0.14 keeps a dead process\'s lock until unlock');
    const u = JSON.parse(ok(await hs('unlock', ...auth(repo), '--json'), 'unlock').stdout) as { removed: string[]; kept: string[] };
    assert.equal(u.removed.length, 1);
    assert.equal(u.kept.length, 1);
    const all = JSON.parse(ok(await hs('unlock', ...auth(repo), '--json', '--remove-all'), 'unlock --remove-all').stdout) as { removed: string[] };
    assert.equal(all.removed.length, 1);
  } finally {
    live.kill('SIGCONT');
  }
  await exited(live);
  ok(await restic(repo, 'check'), 'restic check');
});

/** Every file of the repository with its size (a change by anyone shows). */
const repoFiles = (repo: string) =>
  readdirSync(repo, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${join(e.parentPath, e.name).slice(repo.length)} ${statSync(join(e.parentPath, e.name)).size}`)
    .sort();

test('a real restic prune at the same time: caught repacking, its exclusive lock stops our backup and prune, which write nothing; once it is done restic checks clean and our backup runs', { skip, timeout: 300_000 }, async (t) => {
  const src = join(scratch, 'rp-src');
  const repo = join(scratch, 'rp-repo');
  mkdirSync(src);
  for (let i = 0; i < 12; i++) writeFileSync(join(src, `f${i}`), pseudoRandom(1536 * 1024, `rp${i}`));
  ok(await restic(repo, 'init'), 'restic init');
  ok(await restic(repo, 'backup', src), 'restic backup');
  // Half the files go; their blobs share packs with the others', so prune must repack.
  for (let i = 1; i < 12; i += 2) rmSync(join(src, `f${i}`));
  ok(await restic(repo, 'backup', src), 'restic backup of what is left');
  ok(await restic(repo, 'forget', '--keep-last', '1'), 'restic forget');

  // Slowed (1 MiB/s of reads: the repack reads about 18 MiB), so that it is caught in the middle of
  // repacking; stopped there, so that it still holds its lock however slowly our commands run.
  const prune = spawn('restic', ['--no-cache', '-r', repo, '--limit-download', '1024', 'prune'], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  prune.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  prune.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const pruned = exited(prune);
  // On a failure, not left running (stopped, or writing into the scratch directory as it is removed).
  t.after(() => {
    if (prune.exitCode === null && prune.signalCode === null) prune.kill('SIGKILL');
  });
  await waitFor(() => /^repacking packs$/m.test(output) || prune.exitCode !== null, 'restic prune to start repacking');
  prune.kill('SIGSTOP');
  try {
    assert.equal(prune.exitCode, null, `restic prune still running: ${output}`);
    const locks = lockFiles(repo);
    assert.equal(locks.length, 1, 'restic prune\'s lock');
    const before = repoFiles(repo);
    for (const verb of [['run', src], ['prune']]) {
      const r = await hs(verb[0]!, ...auth(repo), ...verb.slice(1));
      assert.equal(r.code, 1, `${verb[0]} must not run beside restic's prune: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`already locked exclusively by PID ${prune.pid} on .* \\(lock ${locks[0]!.slice(0, 8)}, created `));
    }
    assert.deepEqual(repoFiles(repo), before, 'our backup and prune wrote nothing');
  } finally {
    prune.kill('SIGCONT');
  }
  assert.equal(await pruned, 0, output);
  assert.match(output, /removing \d+ old packs/, 'restic prune repacked and removed packs after we tried');
  assert.deepEqual(lockFiles(repo), [], 'restic prune released its lock');
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data after its prune');
  ok(await hs('run', ...auth(repo), src), 'our backup after restic\'s prune');
  ok(await restic(repo, 'check'), 'restic check after our backup');
});

test('FIFOs and device nodes are recorded and made again, sockets recorded and skipped, as restic does', { skip: skip || (!has('mkfifo') && 'mkfifo is missing') }, async () => {
  const src = join(scratch, 'p-src');
  const repo = join(scratch, 'p-repo');
  mkdirSync(src);
  execFileSync('mkfifo', [join(src, 'pipe')]);
  if (isRoot) execFileSync('mknod', [join(src, 'null'), 'c', '1', '3']);
  const server = createServer().listen(join(src, 'sock'));
  await once(server, 'listening');
  writeFileSync(join(src, 'f'), 'x');
  try {
    ok(await hs('init', ...auth(repo)), 'init');
    ok(await hs('run', ...auth(repo), src), 'run');
  } finally {
    server.close();
  }
  const types = Object.fromEntries(
    ok(await restic(repo, 'ls', '--json', 'latest'), 'restic ls')
      .stdout.split('\n')
      .filter((l) => l.includes('"struct_type":"node"'))
      .map((l) => JSON.parse(l) as { name: string; type: string })
      .map((n) => [n.name, n.type]),
  );
  assert.equal(types.pipe, 'fifo');
  assert.equal(types.sock, 'socket');
  if (isRoot) assert.equal(types.null, 'chardev');
  for (const [who, cmd] of [['ours', (t: string) => hs('restore', ...auth(repo), 'latest', '--target', t)], ['restic', (t: string) => restic(repo, 'restore', 'latest', '--target', t)]] as const) {
    const target = join(scratch, `p-${who}`);
    ok(await cmd(target), `${who} restore`);
    assert.ok(statSync(join(target, src, 'pipe')).isFIFO(), `${who}: the FIFO`);
    assert.ok(!existsSync(join(target, src, 'sock')), `${who}: no socket`);
    if (isRoot) {
      const dev = statSync(join(target, src, 'null'));
      assert.ok(dev.isCharacterDevice(), `${who}: the device node`);
      assert.equal(dev.rdev, statSync(join(src, 'null')).rdev);
    }
  }
  ok(await restic(repo, 'check'), 'restic check');
});
