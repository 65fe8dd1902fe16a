import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createProcessProbe, joinCmdline, parseStat, type ProcessProbeConfig } from '../../src/check/process-probe.js';
import { probeTime, waitFor } from './helpers.js';
import { uniqueSleep } from './process-support.js';

const signal = () => new AbortController().signal;
const config = (match: ProcessProbeConfig['match'], quorum = 1): ProcessProbeConfig => ({ match, quorum, timeoutMs: 5000 });

test('process: name match counts live processes against the quorum', async (t) => {
  const sleep = await uniqueSleep(t);
  const none = await createProcessProbe(config({ name: sleep.comm }), probeTime).run(signal());
  assert.equal(none.ok, false);
  assert.equal(none.detail, `0 processes named '${sleep.comm}', quorum 1`);
  const a = await sleep.start();
  const b = await sleep.start();
  const two = createProcessProbe(config({ name: sleep.comm }, 2), probeTime);
  const result = await two.run(signal());
  assert.equal(result.ok, true, result.detail);
  const pids = [a.pid, b.pid].sort((x, y) => (x ?? 0) - (y ?? 0));
  assert.equal(result.detail, `2 processes named '${sleep.comm}' (pid ${pids.join(', ')}), quorum 2`);
  assert.deepEqual([...two.matched].sort((x, y) => x - y), pids);
  const three = await createProcessProbe(config({ name: sleep.comm }, 3), probeTime).run(signal());
  assert.equal(three.ok, false);
  a.kill('SIGKILL');
  await once(a, 'exit');
  const after = await two.run(signal());
  assert.equal(after.ok, false, 'one left, quorum 2');
});

test('process: a name longer than 15 bytes is compared as the kernel keeps it', async (t) => {
  const sleep = await uniqueSleep(t, `hs-long-name-${Math.random().toString(36).slice(2, 8)}-tail`);
  await sleep.start();
  const fullName = sleep.path.slice(sleep.path.lastIndexOf('/') + 1);
  assert.ok(fullName.length > 15);
  const probe = createProcessProbe(config({ name: fullName }), probeTime);
  const result = await probe.run(signal());
  assert.equal(result.ok, true, result.detail);
  assert.equal(probe.matchesName(sleep.comm), true);
  assert.equal(probe.matchesName('something-else'), false);
});

test('process: command line match is exact on the arguments joined with spaces', async (t) => {
  const sleep = await uniqueSleep(t);
  // sleep adds its arguments up: a second, unusual one marks this process.
  const marker = `0.${process.pid}${Date.now() % 100000}`;
  await sleep.start(['1000', marker]);
  const exact = await createProcessProbe(config({ commandLine: `${sleep.path} 1000 ${marker}` }), probeTime).run(signal());
  assert.equal(exact.ok, true, exact.detail);
  assert.match(exact.detail, new RegExp(`^1 process with command line '.* 1000 ${marker.replace('.', '\\.')}' \\(pid \\d+\\), quorum 1$`));
  const partial = await createProcessProbe(config({ commandLine: `1000 ${marker}` }), probeTime).run(signal());
  assert.equal(partial.ok, false, 'a substring is not a match');
});

test('process: pid file names a live process; dead, zombie, missing and garbage files fail', async (t) => {
  const sleep = await uniqueSleep(t);
  const pidFile = join(sleep.dir, 'service.pid');
  const probe = createProcessProbe(config({ pidFile }), probeTime);
  const missing = await probe.run(signal());
  assert.equal(missing.detail, `pid file ${pidFile}: ENOENT`);

  const child = await sleep.start();
  await writeFile(pidFile, `${child.pid}\n`);
  const alive = await probe.run(signal());
  assert.equal(alive.ok, true, alive.detail);
  assert.equal(alive.detail, `pid ${child.pid} (${sleep.comm}) from ${pidFile} is running`);

  child.kill('SIGKILL');
  await once(child, 'exit');
  const dead = await probe.run(signal());
  assert.equal(dead.ok, false);
  assert.equal(dead.detail, `pid ${child.pid} from ${pidFile} is not running`);

  await writeFile(pidFile, 'nginx\n');
  assert.equal((await probe.run(signal())).detail, `pid file ${pidFile}: no pid in it ('nginx')`);

  // A zombie: a child whose parent (the shell, replaced by a sleep) never waits for it. The child
  // outlives the exec so the shell cannot reap it first.
  const zombieFile = join(sleep.dir, 'zombie.pid');
  const parent = spawn('/bin/sh', ['-c', `${sleep.path} 0.3 & echo $! > ${zombieFile}; exec ${sleep.path} 1000`], { stdio: 'ignore' });
  t.after(() => parent.kill('SIGKILL'));
  await waitFor(async () => /^\d+\n$/.test(await readFile(zombieFile, 'utf8').catch(() => '')), 'the zombie pid');
  const zombiePid = Number(await readFile(zombieFile, 'utf8'));
  await waitFor(async () => parseStat(await readFile(`/proc/${zombiePid}/stat`, 'utf8'))?.state === 'Z', 'the child to be a zombie');
  const zombie = await createProcessProbe(config({ pidFile: zombieFile }), probeTime).run(signal());
  assert.equal(zombie.ok, false);
  assert.equal(zombie.detail, `pid ${zombiePid} from ${zombieFile} is a zombie`);
});

test('process: a pid the watcher saw exit does not count even while /proc still shows it', async (t) => {
  const sleep = await uniqueSleep(t);
  const child = await sleep.start();
  const exited = new Set<number>([child.pid ?? -1]);
  const probe = createProcessProbe(config({ name: sleep.comm }), probeTime, { hasExited: (pid) => exited.has(pid) });
  assert.equal((await probe.run(signal())).ok, false);
  exited.clear();
  assert.equal((await probe.run(signal())).ok, true);
  assert.equal(await probe.matchesPid(child.pid ?? -1), true);
  assert.equal(await probe.matchesPid(process.pid), false);
});

test('process: the note (polling fallback) is appended to the detail', async (t) => {
  const sleep = await uniqueSleep(t);
  const probe = createProcessProbe(config({ name: sleep.comm }), probeTime, { note: () => 'polling every 1000 ms (test)' });
  assert.equal((await probe.run(signal())).detail, `0 processes named '${sleep.comm}', quorum 1; polling every 1000 ms (test)`);
});

test('process: stat and cmdline parsing', () => {
  assert.deepEqual(parseStat('42 (we ird) (name)) S 1 42 42 0'), { comm: 'we ird) (name)', state: 'S' });
  assert.equal(parseStat('garbage'), undefined);
  assert.equal(parseStat(undefined), undefined);
  assert.equal(joinCmdline('/usr/sbin/nginx\0-g\0daemon off;\0'), '/usr/sbin/nginx -g daemon off;');
  assert.equal(joinCmdline('nginx: master process /usr/sbin/nginx'), 'nginx: master process /usr/sbin/nginx');
  assert.equal(joinCmdline(''), '');
});

test('process: a re-check of the known processes falls back to a full scan below quorum', async (t) => {
  const sleep = await uniqueSleep(t);
  const a = await sleep.start();
  const probe = createProcessProbe(config({ name: sleep.comm }), probeTime);
  assert.equal((await probe.run(signal())).ok, true);
  // b starts unseen (while the quorum was met no event asks for a scan), then a exits.
  const b = await sleep.start();
  a.kill('SIGKILL');
  await once(a, 'exit');
  probe.requestScope('known');
  const result = await probe.run(signal());
  assert.equal(result.ok, true, result.detail);
  assert.deepEqual([...probe.matched], [b.pid]);
  // With the quorum still met by a known process, only those are read.
  const c = await sleep.start();
  probe.requestScope('known');
  assert.match((await probe.run(signal())).detail, new RegExp(`^1 process named .*\\(pid ${b.pid}\\)`));
  assert.match((await probe.run(signal())).detail, /^2 processes/, 'the next full scan counts c too');
  c.kill('SIGKILL');
});
