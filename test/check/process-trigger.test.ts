import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessProbe } from '../../src/check/process-probe.js';
import { triggerOnProcessEvents } from '../../src/check/process-trigger.js';
import type { ProcessEvents, WatchedEvent } from '../../src/check/process-watcher.js';
import type { ProcessCheckConfig } from '../../src/config/check-model.js';
import { FakeTime } from '../support/fake-time.js';

function setup(match: ProcessCheckConfig['match'], quorum: number, matched: number[], matchingPids: number[] = []) {
  const time = new FakeTime();
  const listeners = new Set<(e: WatchedEvent) => void>();
  const events: ProcessEvents = {
    mode: 'events',
    note: undefined,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    hasExited: () => false,
  };
  const scopes: string[] = [];
  const probe: ProcessProbe = {
    matched: new Set(matched),
    requestScope: (scope) => scopes.push(scope),
    matchesPid: async (pid) => matchingPids.includes(pid),
    matchesName: (comm) => 'name' in match && comm === match.name,
    run: async () => ({ ok: true, latencyMs: 0, detail: '' }),
  };
  const runs: number[] = [];
  const detach = triggerOnProcessEvents({ match, quorum }, probe, { runNow: () => runs.push(time.now()) }, events, { clock: time, timers: time, appearDebounceMs: 50 });
  const emit = (e: WatchedEvent) => {
    for (const l of [...listeners]) l(e);
  };
  return { time, runs, emit, detach, listeners, scopes };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('trigger: the exit of a counted process re-checks the counted ones at once; other exits and thread exits do not', () => {
  const { runs, emit, scopes } = setup({ name: 'nginx' }, 1, [100, 101]);
  emit({ type: 'exit', pid: 999, tgid: 999, exitCode: 0, exitSignal: 17 });
  emit({ type: 'exit', pid: 102, tgid: 100, exitCode: 0, exitSignal: 0 });
  assert.deepEqual(runs, []);
  emit({ type: 'exit', pid: 100, tgid: 100, exitCode: 0, exitSignal: 17 });
  assert.deepEqual(runs, [0]);
  assert.deepEqual(scopes, ['known']);
});

test('trigger: a counted process that execs or renames itself probes at once', () => {
  const { runs, emit } = setup({ name: 'nginx' }, 1, [100]);
  emit({ type: 'exec', pid: 100, tgid: 100 });
  emit({ type: 'comm', pid: 100, tgid: 100, comm: 'other' });
  assert.equal(runs.length, 2);
});

test('trigger: below quorum, a matching new process probes after the debounce, once per burst', async () => {
  const { time, runs, emit, scopes } = setup({ name: 'nginx' }, 2, [100], [200, 201]);
  emit({ type: 'exec', pid: 200, tgid: 200 });
  emit({ type: 'exec', pid: 201, tgid: 201 });
  emit({ type: 'exec', pid: 300, tgid: 300 }); // does not match
  await flush();
  time.advanceBy(49);
  assert.deepEqual(runs, []);
  time.advanceBy(1);
  assert.deepEqual(runs, [50]);
  assert.deepEqual(scopes, ['full'], 'an appearance needs a full scan');
  emit({ type: 'fork', parentPid: 100, parentTgid: 100, childPid: 202, childTgid: 202 });
  emit({ type: 'fork', parentPid: 100, parentTgid: 100, childPid: 203, childTgid: 100 }); // a thread
  emit({ type: 'comm', pid: 400, tgid: 400, comm: 'nginx' });
  time.advanceBy(100);
  assert.deepEqual(runs, [50, 100]);
});

test('trigger: with the quorum met, new processes are ignored', async () => {
  const { time, runs, emit } = setup({ name: 'nginx' }, 1, [100], [200]);
  emit({ type: 'exec', pid: 200, tgid: 200 });
  emit({ type: 'fork', parentPid: 100, parentTgid: 100, childPid: 202, childTgid: 202 });
  await flush();
  time.advanceBy(1000);
  assert.deepEqual(runs, []);
});

test('trigger: pid-file checks look again when any process starts while below quorum', () => {
  const { time, runs, emit } = setup({ pidFile: '/run/x.pid' }, 1, []);
  emit({ type: 'fork', parentPid: 1, parentTgid: 1, childPid: 50, childTgid: 50 });
  time.advanceBy(50);
  assert.deepEqual(runs, [50]);
});

test('trigger: lost events probe at once; detaching stops everything', () => {
  const { time, runs, emit, detach, listeners } = setup({ name: 'nginx' }, 1, []);
  emit({ type: 'lost', reason: 'ENOBUFS' });
  assert.deepEqual(runs, [0]);
  emit({ type: 'comm', pid: 400, tgid: 400, comm: 'nginx' });
  detach();
  time.advanceBy(1000);
  assert.deepEqual(runs, [0], 'the pending debounce was cancelled');
  assert.equal(listeners.size, 0);
});
