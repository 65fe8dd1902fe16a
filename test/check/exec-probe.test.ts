import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecProbe, EXEC_ENVIRONMENT, type ExecProbeOptions } from '../../src/check/exec-probe.js';
import { scriptUserResolver, type UserResolver } from '../../src/check/user-resolver.js';
import { probeTime, waitFor } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const selfUser: UserResolver = { resolve: async () => ({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }) };

async function scriptDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-exec-'));
  await chmod(dir, 0o755);
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function script(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

function runOnce(command: string[], options: Partial<ExecProbeOptions> & { timeoutMs?: number; user?: string; group?: string } = {}) {
  const { timeoutMs = 5000, user, group, ...rest } = options;
  const probe = createExecProbe({ command, timeoutMs, user, group }, probeTime, { users: selfUser, ...rest });
  return probe.run(new AbortController().signal);
}

/** Processes of a process group that are still running (zombies waiting for a reaper do not count). */
async function liveGroupMembers(pgid: number): Promise<number[]> {
  const live: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') live.push(Number(name));
  }
  return live;
}

test('exec: exit 0 is healthy and its output is in the detail', async (t) => {
  const dir = await scriptDir(t);
  const result = await runOnce([await script(dir, 'ok.sh', 'echo "all good"; exit 0')]);
  assert.equal(result.ok, true);
  assert.equal(result.detail, 'exit 0: all good');
});

test('exec: a non-zero exit fails with stdout and stderr in the detail; arguments pass unchanged', async (t) => {
  const dir = await scriptDir(t);
  const path = await script(dir, 'fail.sh', 'echo "args: [$1] [$2]"; echo "db down" >&2; exit 3');
  const result = await runOnce([path, 'two words', '$HOME;rm -rf /']);
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'exit 3: args: [two words] [$HOME;rm -rf /] | db down');
});

test('exec: a hanging program times out, and its whole process group is killed', async (t) => {
  const dir = await scriptDir(t);
  const path = await script(dir, 'hang.sh', `sleep 1000 &\necho $$ > "$1/main.pid"\nwait`);
  const result = await runOnce([path, dir], { timeoutMs: 300 });
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'timed out after 300 ms');
  assert.ok(result.latencyMs >= 299 && result.latencyMs < 2000, `latency ${result.latencyMs}`);
  const pgid = Number(await readFile(join(dir, 'main.pid'), 'utf8'));
  await waitFor(async () => (await liveGroupMembers(pgid)).length === 0, `process group ${pgid} to be gone`);
});

test('exec: a program that ignores SIGTERM gets SIGKILL after the grace period', async (t) => {
  const dir = await scriptDir(t);
  const path = await script(dir, 'stubborn.sh', `trap '' TERM\necho $$ > "$1/main.pid"\nwhile :; do sleep 0.05; done`);
  const started = performance.now();
  // The SIGTERM has gone out when the result comes; the grace period is long enough for a loaded
  // machine to look at the group before the SIGKILL.
  const result = await runOnce([path, dir], { timeoutMs: 200, killGraceMs: 2000 });
  assert.equal(result.detail, 'timed out after 200 ms');
  const pgid = Number(await readFile(join(dir, 'main.pid'), 'utf8'));
  assert.ok((await liveGroupMembers(pgid)).length > 0, 'still running during the grace period (SIGTERM ignored)');
  await waitFor(async () => (await liveGroupMembers(pgid)).length === 0, `process group ${pgid} to be killed`);
  assert.ok(performance.now() - started >= 2200, 'killed only after timeout + grace');
});

test('exec: garbage and huge output is bounded and made printable', async (t) => {
  const dir = await scriptDir(t);
  const path = await script(dir, 'noisy.sh', `printf 'start\\000\\033[31m\\377\\n'; head -c 1000000 /dev/urandom; exit 1`);
  const result = await runOnce([path]);
  assert.equal(result.ok, false);
  assert.match(result.detail, /^exit 1: start\\x00\\x1b\[31m/);
  assert.match(result.detail, /\(\d+ more bytes not shown\)$/);
  assert.ok(result.detail.length < 4096 + 200, `detail of ${result.detail.length} characters`);
  assert.doesNotMatch(result.detail, /[\u0000-\u0008\u000b-\u001f]/);
});

test('exec: a crash is a failure naming the signal', async (t) => {
  const dir = await scriptDir(t);
  const result = await runOnce([await script(dir, 'crash.sh', 'kill -SEGV $$')]);
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'killed by SIGSEGV');
});

test('exec: a missing or non-executable program is a failure, not an exception', async (t) => {
  const dir = await scriptDir(t);
  const missing = await runOnce([join(dir, 'nope.sh')]);
  assert.equal(missing.ok, false);
  assert.match(missing.detail, /^cannot run '.*nope\.sh': .*ENOENT/);
  const plain = join(dir, 'plain.txt');
  await writeFile(plain, 'not a program', { mode: 0o644 });
  const denied = await runOnce([plain]);
  assert.equal(denied.ok, false);
  assert.match(denied.detail, /EACCES/);
  const empty = await runOnce([]);
  assert.equal(empty.detail, 'no command to run');
});

test('exec: the environment is minimal and predictable', async (t) => {
  process.env.HOTSTANDBY_TEST_SECRET = 'leak';
  t.after(() => delete process.env.HOTSTANDBY_TEST_SECRET);
  const result = await runOnce(['/usr/bin/env']);
  assert.equal(result.ok, true, result.detail);
  const variables = result.detail.replace(/^exit 0: /, '').split(' | ').sort();
  assert.deepEqual(variables, Object.entries(EXEC_ENVIRONMENT).map(([k, v]) => `${k}=${v}`).sort());
});

test('exec: runs as the configured user and group', async (t) => {
  if (!isRoot) {
    t.skip('needs root: switching to another user');
    return;
  }
  const dir = await scriptDir(t);
  const path = await script(dir, 'whoami.sh', 'echo "$(id -u) $(id -g) $(id -G)"');
  const asked: Array<[string | undefined, string | undefined]> = [];
  const fake: UserResolver = {
    async resolve(user, group) {
      asked.push([user, group]);
      return { uid: 65534, gid: 4242 };
    },
  };
  const result = await runOnce([path], { user: 'someone', group: 'things', users: fake });
  assert.equal(result.detail, 'exit 0: 65534 4242 4242', 'uid, gid, and no supplementary groups of the daemon');
  assert.deepEqual(asked, [['someone', 'things']]);
  const real = await runOnce([path], { user: 'nobody', users: scriptUserResolver() });
  assert.match(real.detail, /^exit 0: 65534 \d+/);
});

test('exec: an unknown user is a failure naming it', async () => {
  const result = await runOnce(['/bin/true'], { user: 'no-such-user-hs', users: scriptUserResolver() });
  assert.equal(result.ok, false);
  assert.match(result.detail, /^cannot run as user 'no-such-user-hs': .*no-such-user-hs.*does not exist/);
});

test('exec: aborting kills the program at once', async (t) => {
  const dir = await scriptDir(t);
  const path = await script(dir, 'long.sh', `echo $$ > "$1/main.pid"\nexec sleep 1000`);
  const controller = new AbortController();
  const probe = createExecProbe({ command: [path, dir], timeoutMs: 10_000 }, probeTime, { users: selfUser });
  const pending = probe.run(controller.signal);
  await waitFor(async () => (await readFile(join(dir, 'main.pid'), 'utf8').catch(() => '')) !== '', 'the script to start');
  controller.abort(new Error('check stopped'));
  const result = await pending;
  assert.equal(result.detail, 'aborted: check stopped');
  const pgid = Number(await readFile(join(dir, 'main.pid'), 'utf8'));
  await waitFor(async () => (await liveGroupMembers(pgid)).length === 0, 'the program to be killed');
});
