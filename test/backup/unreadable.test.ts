/**
 * `hotstandby backup run` over a tree with entries it cannot read (issue 13): like restic 0.14 it
 * reports each with its path and error, leaves it out, saves a snapshot of the rest and exits 3.
 * Root reads everything, so the backup runs as nobody (setpriv) over entries of mode 000.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resticSkipReason, runRestic } from './support/restic.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hs-backup-unreadable-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const NOBODY = 65534;

const skip = process.getuid?.() !== 0 ? 'needs root (to run the backup as nobody with setpriv)' : resticSkipReason();

/** The CLI as nobody: root would read the entries of mode 000. */
function hsAsNobody(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RESTIC_')));
  const argv = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, 'bin/hotstandby', 'backup', ...args];
  return new Promise((resolve) => {
    execFile('setpriv', argv, { cwd: repoRoot, env: { ...clean, HOME: scratch, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('backup run: unreadable files and directories are reported by path, left out, the rest saved; exit code 3; restic checks it clean', { skip, timeout: 180_000 }, async () => {
  chmodSync(scratch, 0o755);
  const repo = join(scratch, 'repo');
  mkdirSync(repo);
  chownSync(repo, NOBODY, NOBODY);
  const src = join(scratch, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  mkdirSync(join(src, 'locked-dir'));
  writeFileSync(join(src, 'ok.txt'), 'readable\n');
  writeFileSync(join(src, 'sub', 'inner.txt'), 'inner\n');
  writeFileSync(join(src, 'big-ok.bin'), Buffer.alloc(2 << 20, 5)); // chunked in the thread pool
  writeFileSync(join(src, 'locked-file'), 'secret\n');
  writeFileSync(join(src, 'big-locked.bin'), Buffer.alloc(2 << 20, 6));
  writeFileSync(join(src, 'locked-dir', 'hidden'), 'hidden\n');
  for (const p of ['locked-file', 'big-locked.bin', 'locked-dir']) chmodSync(join(src, p), 0o000);
  const env = { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: 'pw' };
  const init = await hsAsNobody(['init'], env);
  assert.equal(init.code, 0, init.stderr);

  const run = await hsAsNobody(['run', '--json', src], env);
  assert.equal(run.code, 3, `exit 3: snapshot saved, some source data unreadable\n${run.stderr}`);
  for (const p of ['locked-file', 'big-locked.bin', 'locked-dir']) assert.match(run.stderr, new RegExp(`^error: ${join(src, p)}: .*(EACCES|permission denied)`, 'mi'), run.stderr);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { message_type: string; snapshot_id: string; error_count: number; errors: Array<{ path: string; code: string }> };
  assert.equal(summary.message_type, 'summary');
  assert.equal(summary.error_count, 3);
  assert.deepEqual(summary.errors.map((e) => [e.path, e.code]).sort(), [[join(src, 'big-locked.bin'), 'EACCES'], [join(src, 'locked-dir'), 'EACCES'], [join(src, 'locked-file'), 'EACCES']]);

  const check = await runRestic(['-r', repo, 'check', '--read-data'], 'pw');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const ls = await runRestic(['-r', repo, 'ls', summary.snapshot_id], 'pw');
  assert.equal(ls.code, 0, ls.stderr);
  const listed = ls.stdout.split('\n').filter((l) => l.startsWith(src));
  assert.deepEqual(listed, [src, join(src, 'big-ok.bin'), join(src, 'ok.txt'), join(src, 'sub'), join(src, 'sub', 'inner.txt')], 'the rest is saved; the unreadable entries are not in the tree at all');
  const big = await runRestic(['-r', repo, 'dump', summary.snapshot_id, join(src, 'big-ok.bin')], 'pw');
  assert.equal(big.stdout.length, 2 << 20);

  // Readable again: the next run exits 0 and saves them.
  for (const p of ['locked-file', 'big-locked.bin', 'locked-dir']) chmodSync(join(src, p), 0o755);
  const again = await hsAsNobody(['run', '--json', src], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { error_count?: number }).error_count, undefined);
});
