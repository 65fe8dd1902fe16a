import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HotstandbyConfig, InstanceConfig } from '../../src/config/model.js';
import { planReload } from '../../src/daemon/reload-plan.js';
import { instanceConfig } from '../support/instance-config.js';

function config(instances: InstanceConfig[]): HotstandbyConfig {
  return {
    global: { multicastGroup4: '224.0.0.18', multicastGroup6: 'ff02::12', enableScriptSecurity: false, startupDelayMs: 0, processPriority: -10, garp: instanceConfig().garp },
    instances,
    checks: [],
    syncGroups: [],
  };
}

test('planReload: an instance the host moved under is replaced with the reason, even when its configuration is unchanged', () => {
  const web = instanceConfig({ name: 'web' });
  const db = instanceConfig({ name: 'db', vrid: 52, priority: 90 });
  const plan = planReload(config([web, db]), config([web, { ...db, priority: 80 }]), new Map([['web', 'source address 10.0.0.1 → 10.0.0.5']]));
  assert.deepEqual(plan.replaced, ['web']);
  assert.deepEqual(plan.updated, ['db']);
  assert.deepEqual(plan.describe(), ['replaced web: source address 10.0.0.1 → 10.0.0.5', 'updated db']);
});

test('planReload: without host changes an unchanged instance stays untouched', () => {
  const web = instanceConfig({ name: 'web' });
  const plan = planReload(config([web]), config([web]));
  assert.deepEqual(plan.unchanged, ['web']);
  assert.deepEqual(plan.describe(), []);
});
