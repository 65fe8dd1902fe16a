import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceGroup, type GroupMember } from '../../src/resources/group.js';
import type { ResourceConfig } from '../../src/config/resource-model.js';
import { FakeTime } from '../support/fake-time.js';
import { FakeDriver, FakeGate, groupDeps, quietLog, resourceConfig, run } from './fakes.js';

function setup(specs: Array<Partial<ResourceConfig> & { name: string }>, options: { fenceOk?: boolean } = {}) {
  const time = new FakeTime();
  const calls: string[] = [];
  const drivers = specs.map((s) => new FakeDriver(s.name, time, calls));
  const gate = new FakeGate();
  const recorder = groupDeps(time, gate, options.fenceOk ?? true);
  const members: GroupMember[] = specs.map((s, i) => ({ config: resourceConfig(s.name, s), driver: drivers[i]!, log: quietLog }));
  const group = new ResourceGroup('instance VI_1', members, recorder.deps);
  return { time, calls, drivers, gate, group, ...recorder };
}

describe('ResourceGroup', () => {
  it('starts every resource in order and keeps the instance FAULT until each was monitored once', async () => {
    const t = setup([{ name: 'a' }, { name: 'b' }]);
    assert.match(t.group.currentPenalty().fault ?? '', /resource 'a' is starting/);
    t.group.start();
    await run(t.time, 100);
    assert.deepEqual(t.calls, ['a:start', 'b:start']);
    assert.deepEqual(t.group.currentPenalty(), { fault: undefined, offset: 0 });
    assert.equal(t.gate.allowed, false, 'after-promote resources hold the VIPs back while backup');
  });

  it('promotes in order, lets the VIPs up only after the last after-promote resource, demotes in reverse', async () => {
    const t = setup([{ name: 'disk' }, { name: 'db' }, { name: 'web', vip: 'before-promote' }]);
    const gateAt: string[] = [];
    t.gate.set = (allowed) => {
      t.gate.allowed = allowed;
      gateAt.push(`${allowed ? 'open' : 'closed'} after ${t.calls.at(-1)}`);
    };
    t.group.start();
    await run(t.time, 100);
    t.group.setRole('master');
    await run(t.time, 200);
    assert.deepEqual(t.calls.slice(3), ['disk:promote', 'db:promote', 'web:promote']);
    assert.deepEqual(gateAt, ['open after db:promote']);
    assert.ok(t.drivers.every((d) => d.active));
    t.group.setRole('backup');
    await run(t.time, 200);
    assert.deepEqual(t.calls.slice(6), ['web:demote', 'db:demote', 'disk:demote']);
    assert.equal(gateAt.at(-1), 'closed after web:promote', 'the gate closes as soon as mastership is lost, before any demote');
    assert.ok(t.drivers.every((d) => !d.active));
  });

  it('refuses nothing but records every operation with its result and duration as an event', async () => {
    const t = setup([{ name: 'a' }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    const ops = t.events.filter((e) => e.operation !== 'health');
    assert.deepEqual(ops.map((e) => [e.operation, e.result, e.durationMs]), [['start', 'ok', 10], ['promote', 'ok', 10]]);
    const status = t.group.status()[0]!;
    assert.equal(status.phase, 'active');
    assert.equal(status.lastOperation?.operation, 'promote');
    assert.equal(status.lastOperation?.durationMs, 10);
  });

  it('a promote that hangs times out: FAULT (mastership released), demoted, and eligible again after retryAfter', async () => {
    const t = setup([{ name: 'a' }, { name: 'b' }]);
    t.group.start();
    await run(t.time, 100);
    t.drivers[1]!.script.promote = ['hang'];
    t.group.setRole('master');
    await run(t.time, 1100);
    const timeout = t.events.find((e) => e.operation === 'promote' && e.resource === 'b');
    assert.equal(timeout?.result, 'timeout');
    assert.equal(t.gate.allowed, false, 'no VIP with nothing behind it');
    assert.match(t.group.currentPenalty().fault ?? '', /resource 'b': promote timed out/);
    // The daemon turns the fault into FAULT:
    t.group.setRole('fault');
    await run(t.time, 100);
    assert.deepEqual(t.calls.slice(-2), ['b:demote', 'a:demote']);
    assert.ok(t.drivers.every((d) => !d.active));
    assert.match(t.group.currentPenalty().fault ?? '', /promote timed out/, 'held after the demote');
    await run(t.time, 5000, 50);
    assert.equal(t.group.currentPenalty().fault, undefined, 'lifted after retryAfter');
  });

  it('MASTER then BACKUP while promoting: the promote is aborted and everything ends demoted, the VIPs never allowed', async () => {
    const t = setup([{ name: 'a' }, { name: 'b' }]);
    t.group.start();
    await run(t.time, 100);
    t.drivers[0]!.script.promote = [{ ok: true, ms: 500 }];
    t.group.setRole('master');
    await run(t.time, 100);
    t.group.setRole('backup');
    await run(t.time, 300);
    assert.deepEqual(t.calls.slice(2), ['a:promote', 'a:demote']);
    assert.equal(t.events.find((e) => e.operation === 'promote')?.result, 'aborted');
    assert.ok(t.drivers.every((d) => !d.active));
    assert.ok(!t.gate.history.includes(true));
    assert.equal(t.group.currentPenalty().fault, undefined, 'an abort for a lost mastership is no failure: no hold');
  });

  it('BACKUP then MASTER again while demoting: the demote completes, then the promotes', async () => {
    const t = setup([{ name: 'a' }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    t.drivers[0]!.script.demote = [{ ok: true, ms: 300 }];
    t.group.setRole('backup');
    await run(t.time, 50);
    t.group.setRole('master');
    t.group.setRole('backup');
    t.group.setRole('master');
    await run(t.time, 400);
    assert.deepEqual(t.calls, ['a:start', 'a:promote', 'a:demote', 'a:promote']);
    assert.equal(t.gate.allowed, true);
  });

  it('a failed demote escalates to stop, then the resource is started again (FAULT until then)', async () => {
    const t = setup([{ name: 'a' }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    t.drivers[0]!.script.demote = [{ ok: false }];
    t.group.setRole('backup');
    await run(t.time, 100);
    assert.deepEqual(t.calls, ['a:start', 'a:promote', 'a:demote', 'a:stop', 'a:start']);
    assert.equal(t.drivers[0]!.active, false);
    assert.equal(t.group.currentPenalty().fault, undefined);
    assert.ok(t.penalties.some((p) => /demote failed/.test(p.fault ?? '')));
  });

  it('a failed stop runs the fence command, stays FAULT, and starts again after retryAfter', async () => {
    const t = setup([{ name: 'a', onStopFailure: { kind: 'command', command: ['/usr/local/sbin/fence', 'a'] } }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    t.drivers[0]!.script.demote = [{ ok: false }];
    t.drivers[0]!.script.stop = ['hang'];
    t.group.setRole('backup');
    await run(t.time, 1200);
    assert.deepEqual(t.fences, ['a:/usr/local/sbin/fence a']);
    assert.match(t.group.currentPenalty().fault ?? '', /fenced/);
    assert.equal(t.group.status()[0]!.phase, 'down');
    await run(t.time, 5000, 50);
    assert.equal(t.calls.at(-1), 'a:start');
    assert.equal(t.group.currentPenalty().fault, undefined);
  });

  it('stopping with a fenced resource still held ends: no wake-up loop on an expired hold', async () => {
    const t = setup([{ name: 'a', onStopFailure: { kind: 'command', command: ['fence'] }, retryAfterMs: 100 }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    t.drivers[0]!.script.demote = [{ ok: false }];
    t.drivers[0]!.script.stop = [{ ok: false }];
    const stopping = t.group.stop();
    await run(t.time, 500, 50);
    await stopping;
    assert.deepEqual(t.fences, ['a:fence']);
    assert.equal(t.group.status()[0]!.phase, 'down');
    assert.equal(t.time.timersPending, 0, 'nothing left scheduled after stop');
  });

  it('with fence action FAULT a failed stop keeps FAULT and retries the stop every retryAfter', async () => {
    const t = setup([{ name: 'a' }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    t.drivers[0]!.script.demote = [{ ok: false }];
    t.drivers[0]!.script.stop = [{ ok: false }, { ok: false }];
    t.group.setRole('backup');
    await run(t.time, 5200, 50);
    assert.deepEqual(t.calls.slice(2), ['a:demote', 'a:stop', 'a:stop']);
    assert.match(t.group.currentPenalty().fault ?? '', /stop failed/);
    t.group.setRole('master');
    await run(t.time, 100);
    assert.ok(!t.calls.slice(5).includes('a:promote'), 'never promoted while stuck');
    await run(t.time, 5200, 50);
    assert.deepEqual(t.calls.slice(5), ['a:stop', 'a:start', 'a:promote']);
  });

  it('monitor failure: a weight lowers the priority after `fall` failures, FAULT without one', async () => {
    const t = setup([{ name: 'w', onMonitorFailure: { weight: -30 }, fall: 2 }, { name: 'f' }]);
    t.group.start();
    await run(t.time, 100);
    t.drivers[0]!.monitorResult = { healthy: false, detail: 'no answer' };
    await run(t.time, 1000, 20);
    assert.equal(t.group.currentPenalty().offset, 0, 'one failure is not enough with fall 2');
    await run(t.time, 1000, 20);
    assert.deepEqual(t.group.currentPenalty(), { fault: undefined, offset: -30 });
    t.drivers[1]!.monitorResult = { healthy: false };
    await run(t.time, 1000, 20);
    assert.match(t.group.currentPenalty().fault ?? '', /resource 'f' monitor failed/);
    t.drivers[0]!.monitorResult = { healthy: true };
    t.drivers[1]!.monitorResult = { healthy: true };
    await run(t.time, 1500, 20);
    assert.deepEqual(t.group.currentPenalty(), { fault: undefined, offset: 0 });
  });

  it('monitorNow() runs a round at once instead of at the next interval (a watched server died)', async () => {
    const t = setup([{ name: 'db' }, { name: 'other' }]);
    t.group.start();
    await run(t.time, 100);
    t.group.setRole('master');
    await run(t.time, 100);
    assert.deepEqual(t.group.currentPenalty(), { fault: undefined, offset: 0 });
    t.drivers[0]!.monitorResult = { healthy: false, detail: 'PostgreSQL does not answer' };
    t.group.monitorNow('db');
    t.group.monitorNow('not-here'); // another group's resource: nothing
    await run(t.time, 50, 5);
    assert.match(t.group.currentPenalty().fault ?? '', /resource 'db' monitor failed/, 'within one round (10 ms here), not after the 1 s interval');
  });

  it('monitorNow() during a running round asks for another right after it', async () => {
    process.env.FAKE_TRACE = '1'; // calls then list monitors too, with their start times
    try {
      const t = setup([{ name: 'db' }]);
      t.drivers[0]!.script.monitor = [{ ok: true, ms: 10 }, { ok: true, ms: 300 }];
      t.group.start();
      await run(t.time, 1100, 5); // inside the second round (1020–1320)
      t.group.monitorNow('db'); // that round may have looked before the failure
      await run(t.time, 400, 5);
      const starts = t.calls.filter((c) => c.startsWith('db:monitor@')).map((c) => Number(c.split('@')[1]));
      assert.ok(starts.length === 3 && starts[2]! - starts[1]! < 350, `a third round right after the second (300 ms), not after the 1 s interval: ${starts.join(', ')}`);
    } finally {
      delete process.env.FAKE_TRACE;
    }
  });

  it('a monitor that hangs counts as failed at its timeout', async () => {
    const t = setup([{ name: 'a' }]);
    t.group.start();
    await run(t.time, 50);
    t.drivers[0]!.script.monitor = ['hang'];
    await run(t.time, 1600, 20);
    assert.match(t.group.currentPenalty().fault ?? '', /monitor failed: monitor timed out/);
  });

  it('veto: not eligible → FAULT, or a negative weight', async () => {
    const t = setup([{ name: 'db' }, { name: 'copy', veto: { weight: -100 } }]);
    t.group.start();
    await run(t.time, 100);
    t.drivers[0]!.monitorResult = { healthy: true, eligibility: { eligible: false, reason: 'timeline 3 behind 4' }, gauges: { lag_bytes: 42 } };
    t.drivers[1]!.monitorResult = { healthy: true, eligibility: { eligible: false, reason: 'initial copy 40 %' } };
    await run(t.time, 1000, 20);
    assert.deepEqual(t.group.currentPenalty(), { fault: "resource 'db' vetoes mastership: timeline 3 behind 4", offset: -100 });
    assert.deepEqual(t.group.status()[0]!.gauges, { lag_bytes: 42 });
    assert.ok(t.events.some((e) => e.operation === 'health' && /not eligible \(timeline 3 behind 4\)/.test(e.message)));
  });

  it('stop() demotes and stops in reverse order', async () => {
    const t = setup([{ name: 'a' }, { name: 'b' }]);
    t.group.start();
    await run(t.time, 50);
    t.group.setRole('master');
    await run(t.time, 50);
    const stopped = t.group.stop();
    await run(t.time, 100);
    await stopped;
    assert.deepEqual(t.calls.slice(4), ['b:demote', 'a:demote', 'b:stop', 'a:stop']);
    assert.ok(t.drivers.every((d) => !d.running && !d.active));
    assert.ok(t.drivers.every((d) => d.overlaps === 0), 'never two operations at once on one resource');
  });
});
