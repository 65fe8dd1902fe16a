import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearseTakeover } from '../../src/daemon/takeover-rehearsal.js';
import { instanceConfig } from '../support/instance-config.js';

const source = { text: '10.99.0.2', bytes: Buffer.from([10, 99, 0, 2]) };

test('the start-up rehearsal runs a whole takeover and shutdown, whatever the instance’s settings', () => {
  for (const overrides of [{}, { version: 2 as const, advertIntervalMs: 1000 }, { preempt: false }, { priority: 255 }]) {
    const vip = instanceConfig(overrides).vips[0];
    const states = rehearseTakeover(instanceConfig(overrides), source, vip ? [{ config: vip, ifindex: 2 }] : []);
    assert.equal(states.at(-1), 'INIT', `${JSON.stringify(overrides)}: ends stopped`);
    assert.ok(states.includes('MASTER'), `${JSON.stringify(overrides)}: went through MASTER (${states.join(' → ')})`);
  }
});
