/** Resource series in /metrics and GET /v1/resources, read from the daemon's status at scrape time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createControlApi } from '../../src/api/control-api.js';
import { registerResourceMetrics } from '../../src/api/resource-metrics.js';
import type { ResourceStatus } from '../../src/resources/group.js';
import { populatedControl } from './fake-control.js';
import { inject } from './inject.js';

const db: ResourceStatus = {
  name: 'db',
  kind: 'postgresql',
  follows: 'instance web',
  role: 'master',
  phase: 'active',
  lastOperation: { operation: 'promote', result: 'ok', durationMs: 1250, at: 0, agoMs: 5 },
  healthy: true,
  eligibility: { eligible: true },
  gauges: { lag_bytes: 0, lag_seconds: 0.5 },
  vip: 'after-promote',
  operations: { 'start:ok': 1, 'promote:ok': 1, 'monitor:timeout': 2 },
};
const disk: ResourceStatus = {
  ...db,
  name: 'disk',
  kind: 'mount',
  phase: 'stuck',
  lastOperation: { operation: 'stop', result: 'timeout', durationMs: 60_000, at: 0, agoMs: 1 },
  healthy: null,
  eligibility: null,
  gauges: {},
  hold: { reason: 'stop timed out', remainingMs: 2000 },
  operations: {},
};

test('resource metrics: phase, health, eligibility, hold, last operation, totals and the kind gauges', async () => {
  const registry = new Registry();
  registerResourceMetrics(registry, () => [db, disk]);
  const text = await registry.metrics();
  const has = (line: string) => assert.ok(text.split('\n').includes(line), `missing: ${line}`);
  has('hotstandby_resource_phase{resource="db",kind="postgresql",phase="active"} 1');
  has('hotstandby_resource_phase{resource="db",kind="postgresql",phase="standby"} 0');
  has('hotstandby_resource_phase{resource="disk",kind="mount",phase="stuck"} 1');
  has('hotstandby_resource_healthy{resource="db",kind="postgresql"} 1');
  assert.ok(!text.includes('hotstandby_resource_healthy{resource="disk"'), 'no health before the first monitor');
  has('hotstandby_resource_eligible{resource="db",kind="postgresql"} 1');
  has('hotstandby_resource_held{resource="disk",kind="mount"} 1');
  has('hotstandby_resource_last_operation_seconds{resource="db",kind="postgresql",operation="promote",result="ok"} 1.25');
  has('hotstandby_resource_last_operation_seconds{resource="disk",kind="mount",operation="stop",result="timeout"} 60');
  has('hotstandby_resource_operations_total{resource="db",kind="postgresql",operation="monitor",result="timeout"} 2');
  has('hotstandby_resource_gauge{resource="db",kind="postgresql",gauge="lag_seconds"} 0.5');
});

test('GET /v1/resources lists the resources of the status, and an empty list without any', async () => {
  const control = populatedControl();
  const api = createControlApi(control);
  assert.deepEqual((await inject(api, { url: '/v1/resources' })).json(), { resources: [] });
  const status = control.status.bind(control);
  control.status = () => ({ ...status(), resources: [db] });
  const answer = await inject(api, { url: '/v1/resources' });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json(), { resources: [db] });
});
