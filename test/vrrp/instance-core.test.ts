import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CoreEffect, MAINTENANCE_DRAIN_MS, VrrpInstance } from '../../src/vrrp/instance-core.js';
import type { MachineConfig } from '../../src/vrrp/state-machine.js';
import { runUntil, types } from './support/core-driver.js';

function instance(overrides: Partial<MachineConfig> = {}): VrrpInstance {
  return new VrrpInstance({
    version: 3,
    priority: 100,
    advertIntervalMs: 100,
    preempt: true,
    preemptDelayMs: 0,
    answerLowerPriority: true,
    primaryAddress: Buffer.from([10, 0, 0, 2]),
    ...overrides,
  });
}



function master(overrides: Partial<MachineConfig> = {}): VrrpInstance {
  const core = instance(overrides);
  core.handle(0, { type: 'startup' });
  // Up to just before the tests' events at 1000: a master whose adverts stopped for longer would be stalled (state-machine.ts noticeStall).
  runUntil(core, 999);
  assert.equal(core.state, 'MASTER');
  return core;
}

const higher = { type: 'advert' as const, advert: { priority: 200, intervalMs: 100, source: Buffer.from([10, 0, 0, 3]), from: '10.0.0.3' } };

test('effective priority: configured plus offsets, clamped to 1..254; maintenance is 1; an owner stays 255', () => {
  const core = instance();
  core.handle(0, { type: 'startup' });
  core.handle(1, { type: 'priority-offset', source: 'checks', offset: 300 });
  assert.equal(core.machine.priority, 254);
  core.handle(2, { type: 'priority-offset', source: 'checks', offset: -20 });
  core.handle(3, { type: 'priority-offset', source: 'track_interface', offset: -10 });
  assert.equal(core.machine.priority, 70);
  assert.deepEqual(core.priorityOffsets(), { checks: -20, track_interface: -10 });
  core.handle(4, { type: 'priority-offset', source: 'checks', offset: -500 });
  assert.equal(core.machine.priority, 1);
  core.handle(5, { type: 'priority-offset', source: 'checks', offset: 0 });
  core.handle(6, { type: 'maintenance', on: true });
  assert.equal(core.machine.priority, 1);
  core.handle(7, { type: 'maintenance', on: false });
  assert.equal(core.machine.priority, 90);
  core.handle(8, { type: 'reload', priority: 120 });
  assert.equal(core.machine.priority, 110, 'a reload keeps the offsets on the new configured priority');
  const owner = instance({ priority: 255 });
  owner.handle(0, { type: 'startup' });
  owner.handle(1, { type: 'priority-offset', source: 'checks', offset: -50 });
  assert.equal(owner.machine.priority, 255);
});

test('fault sources: FAULT while any is set, BACKUP when all clear', () => {
  const core = master();
  core.handle(600, { type: 'fault-source', source: 'link', reason: 'eth0 down' });
  core.handle(601, { type: 'fault-source', source: 'checks', reason: 'web failed' });
  assert.equal(core.state, 'FAULT');
  core.handle(602, { type: 'fault-source', source: 'link', reason: undefined });
  assert.equal(core.state, 'FAULT');
  assert.deepEqual(core.faultSources(), ['checks']);
  core.handle(603, { type: 'fault-source', source: 'checks', reason: undefined });
  assert.equal(core.state, 'BACKUP');
});

test('maintenance hand-over: a displaced master keeps its VIPs for the drain; one nobody displaces steps down with priority 0', () => {
  const displaced = master();
  const lowered = displaced.handle(1000, { type: 'maintenance', on: true });
  assert.deepEqual(types(lowered), ['send-advert(1)'], 'advertises priority 1 at once');
  assert.equal(displaced.handingOver, true);
  assert.deepEqual(types(displaced.handle(1100, higher)), ['→BACKUP', 'stop-announcing'], 'no release yet: the drain');
  assert.equal(displaced.handingOver, false);
  assert.equal(displaced.releasePending, true);
  assert.deepEqual(types(runUntil(displaced, 1100 + MAINTENANCE_DRAIN_MS)), ['remove-vips']);
  assert.equal(displaced.releasePending, false);

  assert.equal(displaced.handoverOutcome, 'handed-over');

  // Nobody displaces it at priority 1 (a nopreempt peer): priority 0, VIPs kept until the peer is heard.
  const stepped = master();
  stepped.handle(1000, { type: 'maintenance', on: true });
  const effects = runUntil(stepped, 1000 + 3 * 100 + 250);
  assert.deepEqual(types(effects).filter((t) => !t.startsWith('send-advert(1)')), ['→BACKUP', 'send-advert(0)', 'stop-announcing']);
  assert.equal(stepped.handingOver, true, 'still waiting for a new master');
  assert.deepEqual(types(stepped.handle(1600, higher)), [], 'the new master is heard: the drain starts');
  assert.equal(stepped.handingOver, false);
  assert.equal(stepped.handoverOutcome, 'handed-over');
  assert.deepEqual(types(runUntil(stepped, 1600 + MAINTENANCE_DRAIN_MS)), ['remove-vips']);
  assert.deepEqual(types(runUntil(stepped, 100_000)), [], 'then held: no takeover');
  assert.equal(stepped.state, 'BACKUP');
  stepped.handle(100_000, { type: 'maintenance', on: false });
  runUntil(stepped, 101_000);
  assert.equal(stepped.state, 'MASTER', 'back in service');
});

test('maintenance with no peer to take over: the VIPs never go down, the master serves again and maintenance ends; forced, it leaves', () => {
  const alone = master();
  alone.handle(1000, { type: 'maintenance', on: true });
  const stepDown = runUntil(alone, 1000 + 3 * 100 + 250);
  assert.ok(!types(stepDown).includes('remove-vips'));
  // The longest Master_Down_Interval (priority 1): 3 × 100 + (255/256) × 100 ms ≈ 400 ms.
  assert.deepEqual(types(runUntil(alone, 1550 + 399)), [], 'no release while a new master may still come');
  const back = types(runUntil(alone, 1550 + 400));
  assert.deepEqual(back, ['add-vips', 'send-advert(100)', 'announce', '→MASTER'], 'serving again at its own priority, VIPs never removed');
  assert.equal(alone.state, 'MASTER');
  assert.equal(alone.maintenance, false);
  assert.equal(alone.handingOver, false);
  assert.equal(alone.handoverOutcome, 'no-peer');
  assert.equal(alone.machine.priority, 100);

  const forced = master();
  forced.handle(1000, { type: 'maintenance', on: true, force: true });
  runUntil(forced, 1550);
  assert.deepEqual(types(runUntil(forced, 1550 + 400)), ['remove-vips'], 'forced: it leaves although nobody took over');
  assert.equal(forced.state, 'BACKUP');
  assert.equal(forced.maintenance, true);
  assert.equal(forced.handoverOutcome, 'left-without-peer');
  assert.deepEqual(types(runUntil(forced, 100_000)), [], 'held: no takeover');

  // Stopped while waiting for a successor: the VIPs go at the end of the wait, no comeback.
  const stopping = master();
  stopping.handle(1000, { type: 'maintenance', on: true });
  runUntil(stopping, 1550);
  stopping.handle(1600, { type: 'shutdown' });
  assert.deepEqual(types(runUntil(stopping, 100_000)), ['remove-vips']);
  assert.equal(stopping.state, 'INIT');
});

test('shutdown of a master: VIPs kept until the new master is heard, or the longest Master_Down_Interval', () => {
  const heard = master();
  assert.deepEqual(types(heard.handle(1000, { type: 'shutdown' })), ['→INIT', 'send-advert(0)', 'stop-announcing']);
  assert.equal(heard.releasePending, true);
  assert.deepEqual(types(heard.handle(1200, higher)), ['remove-vips']);
  assert.equal(heard.nextDeadline(), undefined, 'no timer left');

  const alone = master();
  alone.handle(1000, { type: 'shutdown' });
  assert.deepEqual(runUntil(alone, 1000 + 399), []);
  assert.deepEqual(types(runUntil(alone, 1000 + 400)), ['remove-vips'], '3 × 100 ms + (255/256) × 100 ms');
  assert.equal(alone.nextDeadline(), undefined);
});
