/**
 * `run` and `restore` options against restic 0.14: --stdin gives restic's one-file snapshot,
 * --exclude drops what restic's --exclude drops, restore --include restores the single files and
 * subtrees restic's does (the directories on the way with their metadata, as restic), ls --json
 * prints restic's fields, the --json summaries of restore and dump count what they wrote,
 * extended attributes are stored byte for byte as restic stores them (same tree ids) and restored
 * both ways, a sparse file comes back sparse, and the progress bar (with the time left) shows on
 * a terminal only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { findSnapshot } from '../../src/backup/snapshots.js';
import { walkTree } from '../../src/backup/walk.js';
import { backupNative } from '../../src/backup/native.js';
import { PASSWORD, describe, hs, makeSource, ok, pseudoRandom, repoRoot, restic, run, scratchDir, skip } from './restic-fixture.js';

const { scratch, passwordFile } = scratchDir('hs-run-restore-');
const xn = backupNative();
const auth = (repo: string) => ['--repo', repo, '--password-file', passwordFile];

function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => p).sort();
}

test('--stdin stores restic\'s one-file snapshot; restic dumps and checks it', { skip }, async () => {
  const repo = join(scratch, 's-repo');
  ok(await hs('init', ...auth(repo)), 'init');
  const data = pseudoRandom(3 << 20, 'stdin');
  const input = join(scratch, 'dump.sql');
  writeFileSync(input, data);
  const out = execFileSync('sh', ['-c', `"$1" bin/hotstandby backup run --stdin --stdin-filename db.sql --tag pg --json --repo "$2" --password-file "$3" < "$4"`, 'sh', process.execPath, repo, passwordFile, input], { cwd: repoRoot });
  const { snapshot_id } = JSON.parse(out.toString()) as { snapshot_id: string };
  const snaps = JSON.parse(ok(await restic(repo, 'snapshots', '--json'), 'restic snapshots').stdout) as { id: string; paths: string[]; tags: string[] }[];
  assert.deepEqual(snaps.map((s) => [s.id, s.paths, s.tags]), [[snapshot_id, ['/db.sql'], ['pg']]]);
  const node = JSON.parse(ok(await restic(repo, 'ls', '--json', 'latest'), 'restic ls').stdout.split('\n')[1]!) as { name: string; mode: number; uid: number; size: number };
  assert.deepEqual([node.name, node.mode, node.uid, node.size], ['db.sql', 0o644, 0, data.length]);
  const dumped = execFileSync('restic', ['--no-cache', '-r', repo, 'dump', 'latest', '/db.sql'], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, maxBuffer: 1 << 26 });
  assert.ok(dumped.equals(data));
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');
});

test('--stdin reads standard input as a stream when it is a socket (a parent\'s spawn pipe), not by opening /dev/stdin (ENXIO)', { skip }, async () => {
  const repo = join(scratch, 'sock-repo');
  ok(await hs('init', ...auth(repo)), 'init');
  // 2.5 MiB: several reads from the socket and more than one chunk, cut across the reads.
  const data = pseudoRandom(5 << 19, 'stdin-socket');
  // execFileSync's `input` is written to a socketpair(2) that libuv gives the child as fd 0.
  const out = execFileSync(process.execPath, ['bin/hotstandby', 'backup', 'run', '--stdin', '--stdin-filename', 'sock.out', '--json', ...auth(repo)], { cwd: repoRoot, input: data, maxBuffer: 1 << 24 });
  const { snapshot_id } = JSON.parse(out.toString()) as { snapshot_id: string };
  const dumped = execFileSync('restic', ['--no-cache', '-r', repo, 'dump', snapshot_id, '/sock.out'], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, maxBuffer: 1 << 26 });
  assert.ok(dumped.equals(data), `restic dumps the ${data.length} bytes written (got ${dumped.length})`);
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');
});

test('--exclude drops what restic\'s --exclude drops, and is recorded in the snapshot', { skip }, async () => {
  const repo = join(scratch, 'e-repo');
  const src = join(scratch, 'e-src');
  for (const d of ['a/cache', 'b/logs', 'keep']) mkdirSync(join(src, d), { recursive: true });
  for (const f of ['a/cache/x', 'a/y.log', 'b/logs/z.log', 'b/logs/keep.log', 'keep/w', 'keep/v.txt']) writeFileSync(join(src, f), f);
  ok(await hs('init', ...auth(repo)), 'init');
  const patterns = ['--exclude', '*.log', '--exclude', '!keep.log', '--exclude', 'cache', '--exclude', `${src}/keep/*.txt`];
  ok(await hs('run', ...auth(repo), ...patterns, src), 'run --exclude');
  const ours = ok(await restic(repo, 'ls', 'latest'), 'restic ls').stdout;
  ok(await restic(repo, 'backup', ...patterns, src), 'restic backup --exclude');
  const theirs = ok(await restic(repo, 'ls', 'latest'), 'restic ls').stdout;
  const paths = (s: string) => s.split('\n').filter((l) => l.startsWith('/')).sort();
  assert.deepEqual(paths(ours), paths(theirs));
  assert.ok(paths(ours).includes(`${src}/b/logs/keep.log`) && !paths(ours).includes(`${src}/a/y.log`));
  const snaps = JSON.parse((await restic(repo, 'snapshots', '--json')).stdout) as { excludes?: string[] }[];
  assert.deepEqual(snaps[0]!.excludes, ['*.log', '!keep.log', 'cache', `${src}/keep/*.txt`]);
});

test('restore --include restores the single files and subtrees restic\'s does', { skip }, async () => {
  const repo = join(scratch, 'i-repo');
  const src = join(scratch, 'i-src');
  for (const d of ['etc/app', 'var/lib/db', 'var/log']) mkdirSync(join(src, d), { recursive: true });
  for (const f of ['etc/app/app.conf', 'etc/hosts', 'var/lib/db/data', 'var/lib/db/wal', 'var/log/x.log']) writeFileSync(join(src, f), `content of ${f}\n`);
  ok(await hs('init', ...auth(repo)), 'init');
  ok(await hs('run', ...auth(repo), src), 'run');
  for (const inc of [[`${src}/etc/hosts`], [`${src}/var/lib`], ['*.conf', `${src}/var/log/x.log`]]) {
    const incArgs = inc.flatMap((i) => ['--include', i]);
    const a = join(scratch, `i-ours-${inc.length}-${inc[0]!.length}`);
    const b = join(scratch, `i-theirs-${inc.length}-${inc[0]!.length}`);
    ok(await hs('restore', ...auth(repo), 'latest', '--target', a, ...incArgs), `restore ${inc}`);
    ok(await restic(repo, 'restore', 'latest', '--target', b, ...incArgs), `restic restore ${inc}`);
    const fa = files(a).filter((p) => statSync(join(a, p)).isFile());
    assert.deepEqual(fa, files(b).filter((p) => statSync(join(b, p)).isFile()), `--include ${inc}`);
    assert.ok(fa.length >= 1);
    for (const f of fa) assert.equal(readFileSync(join(a, f), 'utf8'), `content of ${relative(src, '/' + f)}\n`);
    // The directories on the way get their metadata (mode, owner, mtime) as restic gives them.
    assert.deepEqual(describe(a).slice(1), describe(b).slice(1), `--include ${inc}: the tree restic restores`);
    const da = files(a).filter((p) => statSync(join(a, p)).isDirectory());
    assert.ok(da.includes(relative('/', src).split('/')[0]!));
    const summary = JSON.parse(ok(await hs('restore', ...auth(repo), 'latest', '--target', `${a}-json`, '--json', ...incArgs), `restore --json ${inc}`).stdout) as Record<string, number>;
    const bytes = fa.reduce((n, f) => n + statSync(join(a, f)).size, 0);
    assert.deepEqual([summary.files_restored, summary.dirs_restored, summary.bytes_restored], [fa.length, da.length, bytes], `restore --json ${inc}: what it made`);
  }
});

test('--json: ls prints restic\'s snapshot and node lines; restore and dump summaries count what they wrote', { skip }, async () => {
  const repo = join(scratch, 'j-repo');
  const src = join(scratch, 'j-src');
  makeSource(src, 'j');
  ok(await hs('init', ...auth(repo)), 'init');
  ok(await hs('run', ...auth(repo), src), 'run');
  const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const theirs = lines(ok(await restic(repo, 'ls', '--json', 'latest'), 'restic ls --json').stdout);
  const ours = lines(ok(await hs('ls', ...auth(repo), '--json', 'latest'), 'ls --json').stdout);
  assert.equal(theirs[0]!.struct_type, 'snapshot');
  assert.deepEqual(ours.map((l) => [l.struct_type, l.path]), theirs.map((l) => [l.struct_type, l.path]));
  // Each field restic prints, with restic's value; ours adds user, group and a symlink's target.
  for (const [i, t] of theirs.entries()) for (const k of Object.keys(t)) assert.deepEqual(ours[i]![k], t[k], `ls --json line ${i} (${String(t.path ?? 'snapshot')}): ${k}`);
  assert.ok(theirs.length > 15 && Object.keys(theirs[1]!).length >= 10);

  // restic 0.14's restore has no --json: ours counts what it made (a hard link's bytes once).
  const target = join(scratch, 'j-target');
  const summary = JSON.parse(ok(await hs('restore', ...auth(repo), 'latest', '--target', target, '--json'), 'restore --json').stdout) as Record<string, unknown>;
  const made = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  const linked = new Set<string>();
  for (const row of describe(target).slice(1)) {
    const [, type, , , , size, , hash, links] = JSON.parse(row) as [string, string, string, number, number, number, string, string, number];
    if (type === 'dir') made.dirs++;
    else if (type === 'symlink') made.symlinks++;
    else if (type === 'file') {
      made.files++;
      if (links === 1 || !linked.has(hash)) made.bytes += size;
      if (links > 1) linked.add(hash);
    }
  }
  assert.equal(summary.message_type, 'summary');
  assert.equal(summary.snapshot_id, theirs[0]!.id);
  assert.deepEqual([summary.files_restored, summary.dirs_restored, summary.symlinks_restored, summary.bytes_restored], [made.files, made.dirs, made.symlinks, made.bytes]);
  assert.ok(made.files >= 8 && made.bytes > 4 << 20 && made.symlinks === 2);

  // dump --json: the data on stdout; on stderr the summary: the entries and the files' bytes
  // (a hard link's twice: dump writes it as a file, as restic's does).
  const fileBytes = describe(src).map((r) => JSON.parse(r) as unknown[]).filter((r) => r[1] === 'file').reduce((n, r) => n + (r[5] as number), 0);
  for (const [path, kind, bytes] of [[`${src}/random.bin`, 'file', statSync(`${src}/random.bin`).size], [src, 'tar', fileBytes]] as const) {
    const out = join(scratch, `j-dump.${kind}`);
    const r = ok(await run('sh', ['-c', `"$1" bin/hotstandby backup dump --json --repo "$2" --password-file "$3" latest "$4" > "$5"`, 'sh', process.execPath, repo, passwordFile, path, out]), `dump --json ${kind}`);
    const d = JSON.parse(r.stderr) as Record<string, unknown>;
    assert.deepEqual([d.message_type, d.snapshot_id, d.path, d.kind, d.bytes], ['summary', theirs[0]!.id, path, kind, bytes], `dump --json ${kind}`);
    if (kind === 'file') assert.ok(readFileSync(out).equals(readFileSync(path)));
    else assert.equal(d.entries, execFileSync('tar', ['-t', '-f', out], { maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'ignore'] }).toString('latin1').split('\n').filter(Boolean).length);
  }
});

test('extended attributes: stored as restic stores them (same tree ids), restored both ways', { skip: skip || (!xn?.setXattr && 'the native addon has no xattr support') }, async (t) => {
  const repo = join(scratch, 'x-repo');
  const src = join(scratch, 'x-src');
  mkdirSync(join(src, 'dir'), { recursive: true });
  writeFileSync(join(src, 'dir', 'f'), 'with attributes\n');
  try {
    xn!.setXattr!(join(src, 'dir', 'f'), 'user.origin', Buffer.from('hotstandby'));
  } catch {
    t.skip(`${scratch} does not take user.* extended attributes`);
    return;
  }
  xn!.setXattr!(join(src, 'dir', 'f'), 'user.binary', Buffer.from([0, 1, 2, 255]));
  xn!.setXattr!(join(src, 'dir'), 'user.dir', Buffer.from('d'));
  ok(await hs('init', ...auth(repo)), 'init');
  const ours = JSON.parse(ok(await hs('run', ...auth(repo), '--json', src), 'run').stdout) as { snapshot_id: string };
  const theirs = JSON.parse(ok(await run('restic', ['--no-cache', '-r', repo, 'backup', '--json', '--force', src], { RESTIC_PASSWORD: PASSWORD }), 'restic backup --force').stdout.split('\n').filter((l) => l.includes('"summary"'))[0]!) as { snapshot_id: string };
  const subtree = async (id: string) => {
    const r = await Repository.open(new LocalBackend(repo), PASSWORD);
    try {
      await r.loadIndex();
      const { snapshot } = await findSnapshot(r, id);
      for await (const { path, node } of walkTree(r, snapshot.tree)) if (path === src) return node.subtree;
      return undefined;
    } finally {
      await r.close();
      await r.backend.close(); // its cached pack handles
    }
  };
  assert.ok(await subtree(ours.snapshot_id));
  assert.equal(await subtree(theirs.snapshot_id), await subtree(ours.snapshot_id), 'restic read the same attributes into the same tree');
  const attrs = (p: string) => xn!.listXattrs!(p).map((x) => `${x.name}=${x.value.toString('hex')}`).sort();
  for (const [who, cmd] of [['restic', () => restic(repo, 'restore', ours.snapshot_id, '--target', join(scratch, 'x-restic'))], ['ours', () => hs('restore', ...auth(repo), theirs.snapshot_id, '--target', join(scratch, 'x-ours'))]] as const) {
    ok(await cmd(), `${who} restore`);
    const root = join(scratch, who === 'restic' ? 'x-restic' : 'x-ours', src);
    assert.deepEqual(attrs(join(root, 'dir', 'f')), attrs(join(src, 'dir', 'f')), `${who}: file attributes`);
    assert.deepEqual(attrs(join(root, 'dir')), attrs(join(src, 'dir')), `${who}: directory attributes`);
  }
});

test('a sparse file is restored sparse and identical; restic restores it identically', { skip }, async () => {
  const repo = join(scratch, 'sp-repo');
  const src = join(scratch, 'sp-src');
  mkdirSync(src);
  const file = join(src, 'disk.img');
  const size = 96 << 20;
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size);
  writeSync(fd, pseudoRandom(1 << 20, 'sparse'), 0, 1 << 20, 40 << 20);
  closeSync(fd);
  ok(await hs('init', ...auth(repo)), 'init');
  ok(await hs('run', ...auth(repo), src), 'run');
  const target = join(scratch, 'sp-target');
  ok(await hs('restore', ...auth(repo), 'latest', '--target', target), 'restore');
  const restored = join(target, src, 'disk.img');
  const st = statSync(restored);
  assert.equal(st.size, size);
  assert.ok(st.blocks * 512 < 16 << 20, `restored sparse: ${st.blocks * 512} bytes allocated for ${size}`);
  assert.ok(readFileSync(restored).equals(readFileSync(file)));
  const viaRestic = join(scratch, 'sp-restic');
  ok(await restic(repo, 'restore', 'latest', '--target', viaRestic), 'restic restore');
  assert.ok(readFileSync(join(viaRestic, src, 'disk.img')).equals(readFileSync(file)));
});

test('the progress bar shows on a terminal with rate and ETA (run, restore; check --read-data), and not when stderr is a pipe', { skip }, async () => {
  const repo = join(scratch, 'pg-repo');
  const src = join(scratch, 'pg-src');
  mkdirSync(src);
  for (let i = 0; i < 4; i++) writeFileSync(join(src, `f${i}`), pseudoRandom(16 << 20, `pg${i}`));
  ok(await hs('init', ...auth(repo)), 'init');
  // script(1) gives the command a terminal; its output is what the terminal showed.
  // Redrawn every 10 ms (HOTSTANDBY_PROGRESS_MS), not 250: on a fast machine a 64 MiB run is over in a few redraws.
  const onTerminal = (args: string) => execFileSync('script', ['-qec', `HOTSTANDBY_PROGRESS_MS=10 "${process.execPath}" bin/hotstandby backup ${args} --repo "${repo}" --password-file "${passwordFile}" >/dev/null`, '/dev/null'], { cwd: repoRoot, maxBuffer: 1 << 24 }).toString();
  // A line with the total known and the work not done shows the time left.
  const midway = /\r\[[= >]+\]\s+\d+\.\d% [\d.]+ MiB \/ [\d.]+ MiB\s+[\d.]+ MiB\/s ETA \d+:\d\d\s/;
  const tty = onTerminal(`run "${src}"`);
  assert.match(tty, /\r\[[= >]+\]\s+\d+\.\d%/);
  assert.match(tty, midway, 'run: rate and ETA on the way');
  assert.match(tty, /100\.0% 64\.0 MiB \/ 64\.0 MiB/);
  const piped = await hs('run', ...auth(repo), src);
  assert.equal(piped.code, 0);
  assert.doesNotMatch(piped.stderr, /MiB\/s|\r/);

  // restore writes every copy (the backup stores the data once): 256 MiB, long enough for lines on the way.
  for (let i = 0; i < 12; i++) execFileSync('cp', [join(src, `f${i % 4}`), join(src, `copy${i}`)]);
  ok(await hs('run', ...auth(repo), src), 'run with the copies');
  const target = join(scratch, 'pg-target');
  const restored = onTerminal(`restore latest --target "${target}"`);
  assert.match(restored, midway, 'restore: rate and ETA on the way');
  assert.match(restored, /100\.0% 256\.0 MiB \/ 256\.0 MiB.*16 files/, 'restore: the last line shows the end');
  rmSync(target, { recursive: true });
  const quiet = await hs('restore', ...auth(repo), 'latest', '--target', target);
  assert.equal(quiet.code, 0);
  assert.doesNotMatch(quiet.stderr, /MiB\/s|\r/);
  rmSync(target, { recursive: true });

  // check --read-data counts packs (too few here to show a line on the way).
  assert.match(onTerminal('check --read-data'), /\r\[=+\] 100\.0% (\d+) \/ \1\s+\d+\/s packs/);
  const checked = await hs('check', ...auth(repo), '--read-data');
  assert.equal(checked.code, 0);
  assert.doesNotMatch(checked.stderr, /packs|\r/);
});
