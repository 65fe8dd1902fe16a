/** `hotstandby backup …` as a user runs it, with restic's environment variables; no restic needed. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hs-backup-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function hs(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RESTIC_')));
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/hotstandby', 'backup', ...args], { cwd: repoRoot, env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('backup init | run | snapshots | ls | restore work from RESTIC_REPOSITORY and RESTIC_PASSWORD_FILE, with --json', async () => {
  const repo = join(scratch, 'repo');
  const src = join(scratch, 'src');
  mkdirSync(join(src, 'dir'), { recursive: true });
  writeFileSync(join(src, 'dir', 'file'), 'content\n');
  const pw = join(scratch, 'pw');
  writeFileSync(pw, '  secret \n');
  const env = { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: pw };
  const init = await hs(['init', '--json'], env);
  assert.equal(init.code, 0, init.stderr);
  assert.equal(JSON.parse(init.stdout).message_type, 'initialized');
  const run = await hs(['run', '--json', '--tag', 'daily', src], env);
  assert.equal(run.code, 0, run.stderr);
  const { snapshot_id } = JSON.parse(run.stdout) as { snapshot_id: string };
  const snaps = await hs(['snapshots', '--json'], { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: 'secret' });
  assert.equal(snaps.code, 0, snaps.stderr);
  assert.deepEqual((JSON.parse(snaps.stdout) as { id: string; tags: string[] }[]).map((s) => [s.id, s.tags]), [[snapshot_id, ['daily']]]);
  const ls = await hs(['ls', snapshot_id.slice(0, 8)], env);
  assert.ok(ls.stdout.split('\n').includes(`${src}/dir/file`), ls.stdout);
  const target = join(scratch, 'target');
  const restored = await hs(['restore', 'latest', '--target', target, '--repo', repo, '--password-file', pw], {});
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(readFileSync(join(target, src, 'dir', 'file'), 'utf8'), 'content\n');
});

test('backup: usage errors exit 64 and name the problem', async () => {
  const noRepo = await hs(['snapshots'], { RESTIC_PASSWORD: 'x' });
  assert.equal(noRepo.code, 64);
  assert.match(noRepo.stderr, /no repository: give --repo or set RESTIC_REPOSITORY/);
  const noPassword = await hs(['snapshots', '--repo', join(scratch, 'nowhere')]);
  assert.equal(noPassword.code, 64);
  assert.match(noPassword.stderr, /no password/);
  const noTarget = await hs(['restore', 'latest', '--repo', 'x'], { RESTIC_PASSWORD: 'x' });
  assert.equal(noTarget.code, 64);
  assert.match(noTarget.stderr, /--target/);
  const unknown = await hs(['frobnicate']);
  assert.equal(unknown.code, 64);
  const missing = await hs(['snapshots', '--repo', join(scratch, 'nowhere')], { RESTIC_PASSWORD: 'x' });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No repository at/);
});

test("backup: restic's order works too: the options of every verb before the verb (restic -r REPO -o k=v snapshots)", async () => {
  const repo = join(scratch, 'repo-first');
  const pw = join(scratch, 'pw-first');
  writeFileSync(pw, 'secret\n');
  const init = await hs(['-r', repo, '--password-file', pw, 'init', '--json']);
  assert.equal(init.code, 0, init.stderr);
  const snaps = await hs(['--repo=' + repo, '-p', pw, '--json', '-o', 's3.region=eu-west-1', 'snapshots']);
  assert.equal(snaps.code, 0, snaps.stderr);
  assert.deepEqual(JSON.parse(snaps.stdout), []);
  const bad = await hs(['-r', repo, '-o', 'sftp.bogus=1', 'snapshots'], { RESTIC_PASSWORD_FILE: pw });
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /option sftp\.bogus is not known/);
  const unknown = await hs(['--frobnicate', 'snapshots']);
  assert.equal(unknown.code, 64, 'an option that is not one of every verb before the verb is still an error');
});
