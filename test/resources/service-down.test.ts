/**
 * groupPenalty's serviceDown (src/resources/plan.ts): the resources' FAULT may keep the master's
 * VIPs as a refuser (src/vrrp/kept-vips.ts) only when every fault is a failed monitor of a service
 * certainly down; tracking passes it with the resources' fault source only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupPenalty, type SlotView } from '../../src/resources/plan.js';
import { trackingChanges } from '../../src/vrrp/tracking.js';
import type { InstanceConfig } from '../../src/config/model.js';

const slot = (over: Partial<SlotView> = {}): SlotView => ({
  name: 'db', vip: 'after-promote', phase: 'active', healthy: true, onMonitorFailure: { fault: true }, veto: { fault: true }, ...over,
});

test('a failed monitor of a service certainly down (and the veto it brings) is a serviceDown fault', () => {
  const down = slot({ healthy: false, serviceDown: true, monitorDetail: 'should be the primary but is stopped', eligibility: { eligible: false, reason: 'PostgreSQL is stopped' } });
  const penalty = groupPenalty([down]);
  assert.match(penalty.fault ?? '', /monitor failed.*vetoes/);
  assert.equal(penalty.serviceDown, true);
  assert.equal(groupPenalty([down, slot({ name: 'web' })]).serviceDown, true, 'a healthy resource beside it adds no fault');
});

test('every other fault is not: hung or unknown, a hold, starting, a failed demote or stop, a second resource failing otherwise', () => {
  assert.equal(groupPenalty([slot({ healthy: false, monitorDetail: 'does not answer' })]).serviceDown, undefined, 'not certainly down');
  assert.equal(groupPenalty([slot({ healthy: false, serviceDown: true, hold: { reason: 'start failed', until: 10 } })]).serviceDown, undefined);
  assert.equal(groupPenalty([slot({ phase: 'down', serviceDown: true })]).serviceDown, undefined, 'starting');
  assert.equal(groupPenalty([slot({ phase: 'dirty', healthy: false, serviceDown: true })]).serviceDown, undefined);
  assert.equal(groupPenalty([slot({ phase: 'stuck', healthy: false, serviceDown: true })]).serviceDown, undefined);
  assert.equal(groupPenalty([slot({ healthy: false, serviceDown: true }), slot({ name: 'web', healthy: false })]).serviceDown, undefined);
  assert.equal(groupPenalty([slot({ serviceDown: true })]).serviceDown, undefined, 'no fault at all');
  assert.equal(groupPenalty([slot({ healthy: false, serviceDown: true, onMonitorFailure: { weight: -50 } })]).serviceDown, undefined, 'a weight is no fault');
});

test('tracking passes serviceDown with the resources fault source only', () => {
  const config = { trackChecks: [], trackInterfaces: [], trackPrimary: true, interface: 'eth0' } as unknown as InstanceConfig;
  const changes = trackingChanges(config, () => true, () => undefined, { offset: 0, fault: "resource 'db' monitor failed", serviceDown: true });
  assert.deepEqual(changes.find((c) => c.source === 'resources' && c.type === 'fault'), { type: 'fault', source: 'resources', reason: "resource 'db' monitor failed", serviceDown: true });
  assert.ok(changes.filter((c) => c.source !== 'resources').every((c) => !('serviceDown' in c)));
  const cleared = trackingChanges(config, () => true, () => undefined, { offset: 0, fault: undefined, serviceDown: true });
  assert.deepEqual(cleared.find((c) => c.source === 'resources' && c.type === 'fault'), { type: 'fault', source: 'resources', reason: undefined });
});
