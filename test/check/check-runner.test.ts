import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckRunner } from '../../src/check/check-runner.js';
import type { Probe, ProbeResult } from '../../src/check/probe.js';
import type { CheckConfig } from '../../src/config/check-model.js';
import { FakeTime } from '../support/fake-time.js';
import { keepingLogger } from './helpers.js';

const source = { file: 'test.yaml', line: 1 };

function execConfig(overrides: Partial<CheckConfig> = {}): CheckConfig {
  return { kind: 'exec', name: 'web', command: ['true'], intervalMs: 1000, timeoutMs: 500, weight: 0, rise: 1, fall: 1, initFail: false, source, ...overrides } as CheckConfig;
}

/** A probe whose runs the test settles by hand. */
class ManualProbe implements Probe {
  readonly runs: Array<{ signal: AbortSignal; settle: (result: ProbeResult) => void }> = [];

  run(signal: AbortSignal): Promise<ProbeResult> {
    return new Promise((resolve) => this.runs.push({ signal, settle: resolve }));
  }

  /** Settles the latest run. */
  finish(ok: boolean, extra: Partial<ProbeResult> = {}): void {
    const run = this.runs[this.runs.length - 1];
    assert.ok(run, 'a probe run is in flight');
    run.settle({ ok, latencyMs: 1, detail: ok ? 'fine' : 'broken', ...extra });
  }
}

/** Lets promise callbacks (the runner's .then) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(config: CheckConfig) {
  const time = new FakeTime();
  const probe = new ManualProbe();
  const log = keepingLogger();
  const runner = new CheckRunner(config, probe, { clock: time, timers: time, log, wallClock: () => new Date(Date.UTC(2024, 0, 1) + time.now()) });
  const changes: boolean[] = [];
  runner.onChange((healthy) => changes.push(healthy));
  return { time, probe, runner, changes, log };
}

test('CheckRunner probes at start and then every interval, on the grid', async () => {
  const { time, probe, runner } = setup(execConfig({ intervalMs: 1000 }));
  runner.start();
  assert.equal(probe.runs.length, 1, 'first probe at start');
  probe.finish(true);
  await settle();
  time.advanceTo(999);
  assert.equal(probe.runs.length, 1);
  time.advanceTo(1000);
  assert.equal(probe.runs.length, 2);
  probe.finish(true);
  await settle();
  time.advanceTo(3000);
  assert.equal(probe.runs.length, 3, 'tick at 2000 ran; 3000 is pending until its probe is settled');
  runner.stop();
});

test('CheckRunner never overlaps a probe: a tick during a run is skipped and counted', async () => {
  const { time, probe, runner, log } = setup(execConfig({ intervalMs: 100, timeoutMs: 10_000 }));
  runner.start();
  time.advanceTo(350); // ticks at 100, 200, 300 find the first probe running
  assert.equal(probe.runs.length, 1);
  assert.equal(runner.status().skippedTicks, 3);
  assert.equal(runner.status().running, true);
  assert.equal(log.lines.filter((l) => l.message.includes('still running')).length, 1, 'one warning per overrun, not per tick');
  probe.finish(true);
  await settle();
  assert.equal(runner.status().running, false);
  time.advanceTo(400);
  assert.equal(probe.runs.length, 2, 'the next tick on the grid runs');
  runner.stop();
});

test('CheckRunner: fall 3 needs three failures in a row; rise 2 two successes', async () => {
  const { time, probe, runner, changes } = setup(execConfig({ rise: 2, fall: 3 }));
  runner.start();
  const step = async (ok: boolean) => {
    probe.finish(ok);
    await settle();
    time.advanceBy(1000);
  };
  await step(false);
  await step(false);
  assert.equal(runner.healthy, true);
  assert.equal(runner.status().streak, 2);
  await step(true); // resets
  await step(false);
  await step(false);
  assert.equal(runner.healthy, true);
  await step(false);
  assert.equal(runner.healthy, false);
  assert.deepEqual(changes, [false]);
  await step(true);
  assert.equal(runner.healthy, false);
  await step(false); // resets the rise count
  await step(true);
  await step(true);
  assert.equal(runner.healthy, true);
  assert.deepEqual(changes, [false, true]);
  const status = runner.status();
  assert.equal(status.lastOk, true);
  assert.equal(status.lastDetail, 'fine');
  assert.equal(status.runs, 10);
  assert.match(status.changedAt ?? '', /^2024-01-01T00:00:/);
  runner.stop();
});

test('CheckRunner: init_fail starts failed and reports the first rise', async () => {
  const { probe, runner, changes } = setup(execConfig({ initFail: true }));
  assert.equal(runner.healthy, false);
  assert.equal(runner.status().changedAt, null);
  runner.start();
  probe.finish(true);
  await settle();
  assert.equal(runner.healthy, true);
  assert.deepEqual(changes, [true]);
  runner.stop();
});

test('CheckRunner.runNow runs at once, or once more right after the probe in flight', async () => {
  const { time, probe, runner } = setup(execConfig({ intervalMs: 10_000 }));
  runner.start();
  runner.runNow();
  runner.runNow();
  assert.equal(probe.runs.length, 1, 'no second probe while one runs');
  probe.finish(true);
  await settle();
  assert.equal(probe.runs.length, 2, 'one rerun, however many requests');
  probe.finish(false);
  await settle();
  assert.equal(probe.runs.length, 2);
  assert.equal(runner.healthy, false);
  time.advanceBy(1);
  runner.runNow();
  assert.equal(probe.runs.length, 3, 'idle: runs at once');
  runner.stop();
});

test('CheckRunner gives up on a probe that never settles (backstop) and aborts it', async () => {
  const { time, probe, runner } = setup(execConfig({ intervalMs: 10_000, timeoutMs: 500 }));
  runner.start();
  time.advanceTo(1499);
  assert.equal(runner.healthy, true);
  time.advanceTo(1500);
  await settle();
  assert.equal(runner.healthy, false);
  assert.match(runner.status().lastDetail ?? '', /did not finish within 500 ms/);
  assert.equal(probe.runs[0]?.signal.aborted, true);
  probe.runs[0]?.settle({ ok: true, latencyMs: 2000, detail: 'late' });
  await settle();
  assert.equal(runner.status().lastDetail?.includes('did not finish'), true, 'a late result is ignored');
  runner.stop();
});

test('CheckRunner.stop aborts the probe in flight and schedules nothing more', async () => {
  const { time, probe, runner } = setup(execConfig({ intervalMs: 100 }));
  runner.start();
  runner.stop();
  assert.equal(probe.runs[0]?.signal.aborted, true);
  time.advanceTo(10_000);
  assert.equal(probe.runs.length, 1);
  assert.equal(time.timersPending, 0);
  runner.runNow();
  assert.equal(probe.runs.length, 1, 'runNow after stop does nothing');
});

test('CheckRunner: a probe that throws or rejects counts as a failure, never an exception', async () => {
  const time = new FakeTime();
  let calls = 0;
  const probe: Probe = {
    run() {
      calls++;
      if (calls === 1) throw new Error('boom');
      return Promise.reject(new Error('nope'));
    },
  };
  const runner = new CheckRunner(execConfig({ fall: 2 }), probe, { clock: time, timers: time, log: keepingLogger(), wallClock: () => new Date() });
  runner.start();
  await settle();
  assert.match(runner.status().lastDetail ?? '', /boom/);
  time.advanceBy(1000);
  await settle();
  assert.match(runner.status().lastDetail ?? '', /nope/);
  assert.equal(runner.healthy, false);
  runner.stop();
});

test('CheckRunner: a listener that throws does not stop the others', async () => {
  const { probe, runner, changes, log } = setup(execConfig());
  runner.onChange(() => {
    throw new Error('listener bug');
  });
  const after: boolean[] = [];
  runner.onChange((healthy) => after.push(healthy));
  runner.start();
  probe.finish(false);
  await settle();
  assert.deepEqual(changes, [false]);
  assert.deepEqual(after, [false]);
  assert.ok(log.lines.some((l) => l.level === 'error' && l.message === 'check listener failed'));
  runner.stop();
});

test('CheckRunner: file checks follow the value, with contribution per weight', async () => {
  const config = { kind: 'file', name: 'prio', path: '/x', intervalMs: 1000, timeoutMs: 500, weight: 0, rise: 5, fall: 5, initFail: false, source } as CheckConfig;
  const { time, probe, runner, changes } = setup(config);
  assert.equal(runner.value, 0);
  runner.start();
  probe.finish(true, { value: 3 });
  await settle();
  assert.equal(runner.value, 3);
  assert.equal(runner.healthy, false, 'weight 0 and a non-zero value: no hysteresis, at once');
  assert.deepEqual(runner.contribution(), { delta: 0, fault: "file check 'prio' reads 3 (weight 0)" });
  assert.deepEqual(runner.contribution(10), { delta: 30 });
  assert.deepEqual(runner.contribution(-10), { delta: -30 });
  time.advanceBy(1000);
  probe.finish(true, { value: 5 });
  await settle();
  assert.deepEqual(changes, [false, false], 'a value change is a change even when health stays');
  time.advanceBy(1000);
  probe.finish(false, { value: 0, detail: 'missing' });
  await settle();
  assert.equal(runner.healthy, true);
  assert.equal(runner.status().value, 0);
  runner.stop();
});

test('CheckRunner resumes on the grid after a stall instead of firing a burst', async () => {
  // Timers that fire late, as after a blocked event loop: the clock jumps, then due timers run.
  let now = 0;
  let pending: Array<{ at: number; fn: () => void }> = [];
  const time = {
    now: () => now,
    at(deadline: number, fn: () => void) {
      const entry = { at: deadline, fn };
      pending.push(entry);
      return () => {
        pending = pending.filter((e) => e !== entry);
      };
    },
  };
  const fireDue = () => {
    const due = pending.filter((e) => e.at <= now);
    pending = pending.filter((e) => e.at > now);
    for (const e of due) e.fn();
  };
  const probe = new ManualProbe();
  const runner = new CheckRunner(execConfig({ intervalMs: 100 }), probe, { clock: time, timers: time, log: keepingLogger(), wallClock: () => new Date() });
  runner.start();
  probe.finish(true);
  await settle();
  now = 1050; // the tick due at 100 fires 950 ms late
  fireDue();
  assert.equal(probe.runs.length, 2, 'one late tick');
  probe.finish(true);
  await settle();
  assert.deepEqual(pending.map((e) => e.at), [1100], 'next tick back on the grid, in the future');
  now = 1100;
  fireDue();
  assert.equal(probe.runs.length, 3);
  runner.stop();
});

test('CheckRunner.start(phase) delays the first probe and keeps the grid from there', async () => {
  const { time, probe, runner } = setup(execConfig({ intervalMs: 100 }));
  runner.start(30);
  assert.equal(probe.runs.length, 0);
  time.advanceTo(30);
  assert.equal(probe.runs.length, 1);
  probe.finish(true);
  await settle();
  time.advanceTo(129);
  assert.equal(probe.runs.length, 1);
  time.advanceTo(130);
  assert.equal(probe.runs.length, 2);
  runner.stop();
});
