/**
 * The backup's V8 flags (src/backup/node-flags.ts): which are missing, and `hotstandby backup run`
 * starting node again with them (same pid, standard input kept).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BACKUP_NODE_FLAGS, missingBackupFlags, wantsBackupFlags } from '../../src/backup/node-flags.js';
import { hs, ok, repoRoot, restic, scratchDir, skip } from './restic-fixture.js';

test('missingBackupFlags() names the flags whose option is not set, on the command line or in NODE_OPTIONS', () => {
  assert.deepEqual(missingBackupFlags([], ''), [...BACKUP_NODE_FLAGS]);
  assert.deepEqual(missingBackupFlags(['--max-semi-space-size=4'], ''), []);
  // A value the user chose is kept, in either spelling V8 accepts.
  assert.deepEqual(missingBackupFlags(['--max-semi-space-size=8'], ''), []);
  assert.deepEqual(missingBackupFlags([], '--trace-warnings --max_semi_space_size=1'), []);
  assert.deepEqual(missingBackupFlags(['--trace-warnings'], '--max-old-space-size=100'), [...BACKUP_NODE_FLAGS]);
});

test('wantsBackupFlags(): run and a full restore relaunch; a restore of single files (--include) and the other verbs do not', () => {
  assert.equal(wantsBackupFlags(['run', '--repo', 'r', '/srv']), true);
  assert.equal(wantsBackupFlags(['restore', 'latest', '--target', '/t']), true);
  assert.equal(wantsBackupFlags(['--repo', 'r', 'restore', 'latest', '--target', '/t']), true);
  for (const include of [['--include', '/etc/hosts'], ['--include=/etc/hosts'], ['-i', '/etc/hosts'], ['-i/etc/hosts']]) {
    assert.equal(wantsBackupFlags(['restore', 'latest', '--target', '/t', ...include]), false, include.join(' '));
  }
  // run is a data verb whatever else is given.
  assert.equal(wantsBackupFlags(['run', '--exclude', '/srv/cache', '/srv']), true);
  for (const verb of ['snapshots', 'ls', 'find', 'dump', 'check', 'prune', 'forget', 'stats', 'init', 'unlock']) {
    assert.equal(wantsBackupFlags([verb, '--repo', 'r']), false, verb);
  }
});

test('hotstandby backup run starts node again with the backup flags: same pid, standard input still read', async () => {
  const { scratch, passwordFile } = scratchDir('hs-node-flags-');
  const repo = join(scratch, 'repo');
  ok(await hs('init', '--repo', repo, '--password-file', passwordFile), 'init');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['bin/hotstandby', 'backup', 'run', '--stdin', '--json', '--repo', repo, '--password-file', passwordFile], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // It waits for standard input, so the pid's command line can be read at leisure (generous deadline: a loaded machine).
  const deadline = Date.now() + 60_000;
  let cmdline: string[] = [];
  while (Date.now() < deadline) {
    cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    if (BACKUP_NODE_FLAGS.every((f) => cmdline.includes(f))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.stdin.end('written after the relaunch\n');
  assert.equal(await exited, 0, stderr);
  assert.ok(BACKUP_NODE_FLAGS.every((f) => cmdline.includes(f)), `pid ${child.pid} runs ${cmdline.join(' ')}`);
  assert.equal(stderr, '');
  assert.match(stdout, /"snapshot_id"/);
  if (!skip) ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');
});
