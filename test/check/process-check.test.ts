/**
 * Process checks end to end: CheckSet + the real process connector (root) or its polling
 * fallback, against processes the test starts and kills.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CheckSet } from '../../src/check/check-set.js';
import { ProcessWatcher } from '../../src/check/process-watcher.js';
import type { CheckConfig, ProcessCheckConfig } from '../../src/config/check-model.js';
import { loadNative } from '../../src/net/native.js';
import { keepingLogger, realTime, waitFor } from './helpers.js';
import { uniqueSleep } from './process-support.js';

const source = { file: 'test', line: 1 };

function processCheck(match: ProcessCheckConfig['match'], intervalMs: number): CheckConfig {
  return { kind: 'process', name: 'svc', match, quorum: 1, intervalMs, timeoutMs: 2000, weight: 0, rise: 1, fall: 1, initFail: false, source };
}

/** The real connector (root on older kernels; since Linux 6.6 any user in the initial namespaces). */
async function liveWatcher(t: TestContext): Promise<ProcessWatcher | undefined> {
  const watcher = ProcessWatcher.open(loadNative(), { clock: realTime, timers: realTime, log: keepingLogger() });
  t.after(() => watcher.close());
  await waitFor(() => watcher.mode !== 'starting', 'the process connector to answer');
  if (watcher.mode !== 'events') {
    t.skip(`process connector unavailable here (needs root on older kernels): ${watcher.note}`);
    return undefined;
  }
  return watcher;
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return `min ${sorted[0]?.toFixed(2)} ms, median ${at(0.5).toFixed(2)} ms, max ${sorted[sorted.length - 1]?.toFixed(2)} ms (n=${values.length})`;
}

test('process check (connector): a death is noticed within milliseconds, a restart soon after', async (t) => {
  const watcher = await liveWatcher(t);
  if (watcher === undefined) return;
  const sleep = await uniqueSleep(t);
  let child = await sleep.start();
  // A one-minute interval: only the event path can explain a quick change.
  const checks = new CheckSet([processCheck({ name: sleep.comm }, 60_000)], {
    clock: realTime,
    timers: realTime,
    log: keepingLogger(),
    wallClock: () => new Date(),
    processEvents: watcher,
  });
  t.after(() => checks.stop());
  const runner = checks.get('svc');
  assert.ok(runner);
  const changes: Array<{ healthy: boolean; at: number }> = [];
  runner.onChange((healthy) => changes.push({ healthy, at: performance.now() }));
  checks.start();
  await waitFor(() => runner.status().runs >= 1, 'the first probe');
  assert.equal(runner.healthy, true, runner.status().lastDetail ?? '');

  const deaths: number[] = [];
  const restarts: number[] = [];
  for (let round = 0; round < 10; round++) {
    const exited = once(child, 'exit');
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await waitFor(() => changes.length === 2 * round + 1, 'the check to fail after the kill', 5000);
    deaths.push((changes[2 * round]?.at ?? 0) - killedAt);
    assert.equal(runner.healthy, false);
    await exited;
    const startedAt = performance.now();
    child = await sleep.start();
    await waitFor(() => changes.length === 2 * round + 2, 'the check to recover after the restart', 5000);
    restarts.push((changes[2 * round + 1]?.at ?? 0) - startedAt);
    assert.equal(runner.healthy, true);
  }
  t.diagnostic(`kill → check failed: ${stats(deaths)}`);
  t.diagnostic(`start → check healthy (50 ms debounce + /proc scan): ${stats(restarts)}`);
  assert.ok(Math.max(...deaths) < 1000, `deaths noticed in ${stats(deaths)}`);
  assert.ok(Math.max(...restarts) < 3000, `restarts noticed in ${stats(restarts)}`);
});

test('process check (connector): the process of a pid file is watched too', async (t) => {
  const watcher = await liveWatcher(t);
  if (watcher === undefined) return;
  const sleep = await uniqueSleep(t);
  const child = await sleep.start();
  const pidFile = join(sleep.dir, 'svc.pid');
  await writeFile(pidFile, `${child.pid}\n`);
  const checks = new CheckSet([processCheck({ pidFile }, 60_000)], { clock: realTime, timers: realTime, log: keepingLogger(), wallClock: () => new Date(), processEvents: watcher });
  t.after(() => checks.stop());
  const runner = checks.get('svc');
  assert.ok(runner);
  checks.start();
  await waitFor(() => runner.status().runs >= 1, 'the first probe');
  assert.equal(runner.healthy, true, runner.status().lastDetail ?? '');
  const failed = new Promise<number>((resolve) => runner.onChange(() => resolve(performance.now())));
  const killedAt = performance.now();
  child.kill('SIGKILL');
  const latency = (await failed) - killedAt;
  t.diagnostic(`pid file: kill → check failed in ${latency.toFixed(2)} ms`);
  assert.ok(latency < 1000);
  assert.match(runner.status().lastDetail ?? '', /has exited|is not running|is a zombie/);
});

test('process check without the connector polls at its interval and says so', async (t) => {
  const watcher = ProcessWatcher.open(undefined, { clock: realTime, timers: realTime, log: keepingLogger() });
  const sleep = await uniqueSleep(t);
  const child = await sleep.start();
  const checks = new CheckSet([processCheck({ name: sleep.comm }, 100)], { clock: realTime, timers: realTime, log: keepingLogger(), wallClock: () => new Date(), processEvents: watcher });
  t.after(() => checks.stop());
  const runner = checks.get('svc');
  assert.ok(runner);
  checks.start();
  await waitFor(() => runner.status().runs >= 1, 'the first probe');
  assert.equal(runner.healthy, true);
  assert.match(runner.status().lastDetail ?? '', /; polling every 100 ms \(the native addon is not available\)$/);
  child.kill('SIGKILL');
  await waitFor(() => !runner.healthy, 'the next poll to notice', 5000);
});
