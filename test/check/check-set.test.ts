import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckSet, createProbe, needsProcessWatcher } from '../../src/check/check-set.js';
import { priorityOf } from '../../src/check/priority.js';
import type { CheckConfig } from '../../src/config/check-model.js';
import { keepingLogger, realTime, waitFor } from './helpers.js';
import { FakeTime } from '../support/fake-time.js';

const common = { intervalMs: 50, timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false, source: { file: 'test', line: 1 } };

test('CheckSet builds a probe for every kind and runs them; statuses report each', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hs-set-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'prio'), '2\n');
  const configs: CheckConfig[] = [
    { ...common, kind: 'exec', name: 'script', command: ['/bin/true'] },
    { ...common, kind: 'tcp', name: 'tcp', host: '127.0.0.1', port: 1 },
    { ...common, kind: 'http', name: 'http', url: 'http://127.0.0.1:1/', expectStatus: [[200, 299]], tlsVerify: true },
    { ...common, kind: 'process', name: 'proc', match: { pidFile: join(dir, 'none.pid') }, quorum: 1 },
    { ...common, kind: 'file', name: 'file', path: join(dir, 'prio'), weight: 10 },
    { ...common, kind: 'interface', name: 'lo', interface: 'lo' },
  ];
  assert.equal(needsProcessWatcher(configs), true);
  assert.equal(needsProcessWatcher(configs.filter((c) => c.kind !== 'process')), false);
  for (const config of configs) assert.equal(typeof createProbe(config, { clock: realTime, timers: realTime }).run, 'function');

  const checks = new CheckSet(configs, { clock: realTime, timers: realTime, log: keepingLogger(), wallClock: () => new Date() });
  t.after(() => checks.stop());
  checks.start();
  await waitFor(() => checks.statuses().every((s) => s.runs >= 2), 'every check to run twice');
  const byName = Object.fromEntries(checks.statuses().map((s) => [s.name, s]));
  assert.equal(byName.script?.healthy, true);
  assert.equal(byName.tcp?.healthy, false);
  assert.equal(byName.http?.healthy, false);
  assert.equal(byName.proc?.healthy, false);
  assert.match(byName.proc?.lastDetail ?? '', /ENOENT; polling every 50 ms \(no process watcher\)$/);
  assert.equal(byName.file?.value, 2);
  assert.equal(byName.lo?.healthy, true);
  for (const status of checks.statuses()) {
    assert.match(status.lastRunAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(typeof status.lastLatencyMs, 'number');
  }
  // What the daemon does with them: an instance tracking some of the checks.
  const tracked = ['script', 'file', 'lo'].map((name) => {
    const runner = checks.get(name);
    assert.ok(runner);
    return { weight: runner.config.weight, check: runner };
  });
  assert.deepEqual(priorityOf(100, tracked), { priority: 120, faultReasons: [] });
  const withTcp = [...tracked, { weight: 0, check: checks.get('tcp')! }];
  assert.deepEqual(priorityOf(100, withTcp).faultReasons, ["tcp check 'tcp' failed"]);

  checks.stop();
  const runs = checks.statuses().map((s) => s.runs);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(checks.statuses().map((s) => s.runs), runs, 'nothing runs after stop');
});

test('CheckSet refuses two checks of the same name', () => {
  const config: CheckConfig = { ...common, kind: 'interface', name: 'x', interface: 'lo' };
  assert.throws(() => new CheckSet([config, config], { clock: realTime, timers: realTime, log: keepingLogger(), wallClock: () => new Date() }), {
    name: 'TypeError',
    message: "Two checks are named 'x'",
  });
});

test('CheckSet spreads checks with the same interval over it', async () => {
  const time = new FakeTime();
  const configs: CheckConfig[] = ['a', 'b', 'c', 'd'].map((name) => ({ ...common, intervalMs: 100, kind: 'interface', name, interface: 'lo' }));
  configs.push({ ...common, intervalMs: 1000, kind: 'interface', name: 'slow', interface: 'lo' });
  const checks = new CheckSet(configs, { clock: time, timers: time, log: keepingLogger(), wallClock: () => new Date() });
  const firstRuns = new Map<string, number>();
  for (const runner of checks.all()) runner.onResult(() => firstRuns.has(runner.name) || firstRuns.set(runner.name, time.now()));
  checks.start();
  for (let at = 0; at <= 100; at += 25) {
    time.advanceTo(at);
    await waitFor(() => checks.statuses().every((s) => !s.running), 'probes in flight to finish');
  }
  assert.deepEqual(Object.fromEntries(firstRuns), { a: 0, b: 25, c: 50, d: 75, slow: 0 });
  checks.stop();
});
