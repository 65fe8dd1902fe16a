import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile } from 'node:fs/promises';
import { runHookProcess, type HookProcessOptions } from '../../src/notify/hook-process.js';
import { isAlive, ScriptDir, waitFor } from './support.js';

const clock = { now: () => performance.now() };
const base: Omit<HookProcessOptions, 'command'> = { timeoutMs: 10_000, killGraceMs: 500, outputBytes: 256 };

test('runHookProcess reports exit status and output of stdout and stderr', async () => {
  const result = await runHookProcess({ ...base, command: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 7'] }, { clock });
  assert.equal(result.outcome, 'exited');
  assert.equal(result.exitCode, 7);
  assert.equal(result.signal, null);
  assert.equal(result.timedOut, false);
  assert.deepEqual(result.output.split('\n').sort(), ['err', 'out']);
  assert.ok(result.durationMs >= 0);
});

test('runHookProcess reports a hook killed by a signal from elsewhere', async () => {
  const result = await runHookProcess({ ...base, command: ['/bin/sh', '-c', 'kill -USR1 $$; sleep 5'] }, { clock });
  assert.equal(result.outcome, 'signalled');
  assert.equal(result.signal, 'SIGUSR1');
  assert.equal(result.exitCode, null);
});

test('runHookProcess: a file without an x bit cannot start (EACCES), a missing one ENOENT', async () => {
  const dir = await ScriptDir.create();
  try {
    const file = await dir.script('plain.sh', 'exit 0');
    await chmod(file, 0o644);
    const denied = await runHookProcess({ ...base, command: [file] }, { clock });
    // root may execute nothing without an x bit either
    assert.equal(denied.outcome, 'spawn-error');
    assert.equal(denied.error, 'EACCES');
    const missing = await runHookProcess({ ...base, command: [dir.path('none')] }, { clock });
    assert.equal(missing.error, 'ENOENT');
    const empty = await runHookProcess({ ...base, command: [] }, { clock });
    assert.equal(empty.outcome, 'spawn-error');
  } finally {
    await dir.remove();
  }
});

test('runHookProcess ends when the hook exits even if a background child keeps its output open', async () => {
  const dir = await ScriptDir.create();
  try {
    const script = await dir.script('bg.sh', 'echo $$ > "$1"; sleep 30 & echo done; exit 0');
    const pidFile = dir.path('pgid');
    const started = performance.now();
    const result = await runHookProcess({ ...base, command: [script, pidFile] }, { clock });
    assert.ok(performance.now() - started < 5_000, 'did not wait for the background sleep');
    assert.equal(result.outcome, 'exited');
    assert.equal(result.exitCode, 0);
    assert.equal(result.output, 'done');
    // Not killed: only a timeout kills the group. Clean up here.
    const pgid = Number((await readFile(pidFile, 'utf8')).trim());
    process.kill(-pgid, 'SIGKILL');
  } finally {
    await dir.remove();
  }
});

test('runHookProcess: at the limit SIGTERM, then SIGKILL for a hook that ignores it', async () => {
  const dir = await ScriptDir.create();
  try {
    const stubborn = await dir.script('stubborn.sh', 'trap "" TERM; echo $$ > "$1"; while :; do sleep 0.1; done');
    const pidFile = dir.path('pid');
    const result = await runHookProcess({ ...base, timeoutMs: 300, killGraceMs: 300, command: [stubborn, pidFile] }, { clock });
    assert.equal(result.outcome, 'timeout');
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(result.durationMs >= 550, `${result.durationMs} ms: the grace period was given`);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    await waitFor(`pid ${pid} to die`, async () => !(await isAlive(pid)));
  } finally {
    await dir.remove();
  }
});

test('runHookProcess: an already aborted signal runs nothing', async () => {
  const controller = new AbortController();
  controller.abort();
  const result = await runHookProcess({ ...base, command: ['/usr/bin/true'], signal: controller.signal }, { clock });
  assert.equal(result.outcome, 'aborted');
});
