import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trackingChanges } from '../../src/vrrp/tracking.js';
import { instanceConfig } from '../support/instance-config.js';

test('tracking: link, tracked interfaces and checks become fault sources and offsets, offsets before the checks fault', () => {
  const config = instanceConfig({
    trackInterfaces: [
      { name: 'eth1', weight: 0 },
      { name: 'eth2', weight: -20 },
      { name: 'eth3', weight: 10 },
    ],
    trackChecks: [{ name: 'web' }, { name: 'db', weight: -30 }, { name: 'gone' }],
  });
  const up = new Set(['eth0', 'eth3']);
  const checks = {
    web: { state: { name: 'web', kind: 'exec' as const, healthy: false }, weight: 0 },
    db: { state: { name: 'db', kind: 'exec' as const, healthy: false }, weight: 5 },
  };
  const changes = trackingChanges(config, (name) => up.has(name), (name) => checks[name as keyof typeof checks]);
  assert.deepEqual(changes.map((c) => c.source), ['link', 'track_interface', 'track_interface', 'checks', 'checks']);
  assert.deepEqual(changes, [
    { type: 'fault', source: 'link', reason: undefined },
    { type: 'fault', source: 'track_interface', reason: 'tracked interface eth1 down' },
    { type: 'offset', source: 'track_interface', offset: -20 + 10 },
    { type: 'offset', source: 'checks', offset: -30 },
    { type: 'fault', source: 'checks', reason: changes[4]?.type === 'fault' ? changes[4].reason : 'missing' },
  ]);
  assert.match(String(changes[4]?.type === 'fault' ? changes[4].reason : ''), /web/, 'a failed weight-0 check is a fault naming it');
  const down = trackingChanges(config, () => false, () => undefined);
  assert.deepEqual(down[0], { type: 'fault', source: 'link', reason: 'eth0 is down' });
});
