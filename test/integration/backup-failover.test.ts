/**
 * Backup jobs follow the VRRP role across a failover, in the lab with two hotstandby daemons
 * (each in its own UTS namespace, so their locks and snapshots name hosts hs-a and hs-b):
 *
 * - the master (a) runs the job; its run is slow (the source command waits on a) and holds a lock;
 * - a is killed with SIGKILL mid-run (its process tree: daemon, worker, command): its lock stays;
 * - b takes over at the master-down timer, which is VRRP saying the peer is gone: b removes
 *   hs-a's lock (and no other host's), runs the job that was due, and its snapshot is in the
 *   repository;
 * - restic 0.14 checks the repository clean, which needs an exclusive lock: a lock of hs-a left
 *   in place would make it fail. A lock of an unrelated host stays untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import type { BackupsStatus } from '../../src/backup/jobs/status.js';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { decodeLock, encodeLock } from '../../src/backup/repo/lock.js';
import { goTimeNow } from '../../src/backup/repo/go-json.js';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, signalProcessTree, waitFor } from '../../src/lab/index.js';
import { packageRoot } from '../../src/net/native.js';
import { resticAvailable, TEST_SCRYPT } from '../backup/jobs/support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason() ?? (resticAvailable() ? undefined : 'needs restic (apt-get install restic)');

function nodeYaml(host: 'a' | 'b', priority: number, vip: string, repo: string, pw: string, data: string): string {
  const peer = host === 'a' ? 'hs-b' : 'hs-a';
  return `instances:
  web:
    interface: eth0
    vrid: 61
    version: 3
    priority: ${priority}
    advertInterval: 200ms
    vips: [${vip}/24]
backups:
  peerHostname: ${peer}
  jobs:
    data:
      instance: web
      command: sh -c "cat ${data}; if [ \\"$(hostname)\\" = hs-a ]; then sleep 120; fi"
      stdinFilename: data.bin
      repositories: [{ repo: ${repo}, passwordFile: ${pw} }]
      schedule: "0 3 * * *"
      timezone: utc
`;
}

async function backups(runtime: string): Promise<BackupsStatus> {
  return (await getJson(controlSocketPath(runtime), '/v1/backups')) as BackupsStatus;
}

test('a backup job follows the master through a kill -9 mid-run; the dead peer\'s lock is cleared; restic checks the repository clean', { skip, timeout: 180_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const repo = join(lab.dir, 'repo');
  const pw = lab.writeFile('repo.pw', 'secret\n');
  const data = join(lab.dir, 'data.bin');
  writeFileSync(data, Buffer.alloc(2 * 1024 * 1024, 'x'));
  const repository = await Repository.init(new LocalBackend(repo), 'secret', { scrypt: TEST_SCRYPT });
  // A lock of some other host (an operator's restic): never to be touched.
  const other = await repository.saveUnpacked('locks', encodeLock({ time: goTimeNow(), exclusive: false, hostname: 'laptop', username: 'op', pid: 4242 }));
  const runtime = { a: join(lab.dir, 'run-a'), b: join(lab.dir, 'run-b') };
  mkdirSync(runtime.a);
  mkdirSync(runtime.b);
  const start = (host: 'a' | 'b', priority: number) =>
    lab.spawn(host, ['unshare', '--uts', 'sh', '-c', `hostname hs-${host} && exec "$0" "$@"`, process.execPath, join(packageRoot(), 'bin', 'hotstandby'), 'run', '--config', lab.writeFile(`${host}.yaml`, nodeYaml(host, priority, vip, repo, pw, data)), '--runtime-dir', runtime[host], '--log-format', 'json'], { name: `hs-${host}`, cwd: packageRoot() });
  const a = start('a', 150);
  await waitFor(async () => (await lab.vipHolder(vip)).join() === 'a', { description: 'a is master', timeoutMs: 30_000 });
  const b = start('b', 100);
  t.after(() => b.stop());

  // Never backed up: due at once on the master; a's run stays in its command (sleep) with its lock.
  await waitFor(async () => (await backups(runtime.a)).jobs[0]?.running, { description: 'a runs the job', timeoutMs: 30_000 });
  const lockHosts = async () => {
    const out: string[] = [];
    for (const id of await repository.list('locks')) out.push(decodeLock(await repository.loadUnpacked('locks', id)).hostname);
    return out.sort();
  };
  await waitFor(async () => (await lockHosts()).includes('hs-a'), { description: "a's lock in the repository" });
  const bBefore = await waitFor(async () => (await backups(runtime.b).catch(() => undefined))?.jobs.find((j) => j.state === 'BACKUP'), { description: 'b is up as backup', timeoutMs: 30_000 });
  assert.equal(bBefore.holdsRole, false);
  assert.equal(bBefore.running, undefined, 'the backup does not run a master job');

  signalProcessTree(a.pid, 'SIGKILL');
  await a.exited;
  assert.deepEqual(await lockHosts(), ['hs-a', 'laptop'], "a's lock outlives it");

  // (The kernel keeps the dead daemon's VIP on a: b's state says it took over.)
  await waitFor(async () => (await backups(runtime.b)).jobs[0]?.state === 'MASTER' && (await lab.vipHolder(vip)).includes('b'), { description: 'b takes over', timeoutMs: 30_000 });
  const done = await waitFor(async () => (await backups(runtime.b)).jobs[0]?.lastRun, { description: 'b ran the job', timeoutMs: 60_000 });
  assert.equal(done.ok, true, done.error);
  assert.ok(done.notes.some((n) => /removed 1 lock\(s\) of the peer hs-a/.test(n)), JSON.stringify(done.notes));
  assert.deepEqual(await lockHosts(), ['laptop'], "only hs-a's lock was removed; b released its own");

  const env = { ...process.env, RESTIC_PASSWORD_FILE: pw };
  const snaps = JSON.parse(execFileSync('restic', ['--no-cache', '-r', repo, 'snapshots', '--json'], { env, encoding: 'utf8' })) as Array<{ hostname: string; paths: string[]; tags: string[] }>;
  assert.deepEqual(snaps.map((s) => [s.hostname, s.paths, s.tags]), [['hs-b', ['/data.bin'], ['hotstandby-job:data']]]);
  // restic check takes an exclusive lock: it succeeds only with no live lock left. Remove the
  // operator's lock first (it is not stale for restic either), as the operator would.
  await repository.backend.remove({ type: 'locks', name: other });
  execFileSync('restic', ['--no-cache', '-r', repo, 'check', '--read-data'], { env, encoding: 'utf8' });
  assert.equal(execFileSync('restic', ['--no-cache', '-r', repo, 'dump', 'latest', '/data.bin'], { env, maxBuffer: 16 << 20 }).length, 2 * 1024 * 1024);
  assert.equal(readdirSync(join(repo, 'locks')).length, 0);
});
