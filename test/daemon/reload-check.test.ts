import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import type { GlobalConfig, HotstandbyConfig } from '../../src/config/model.js';
import { reloadCheck } from '../../src/daemon/reload-check.js';
import { instanceConfig } from '../support/instance-config.js';

const global: GlobalConfig = { multicastGroup4: '224.0.0.18', multicastGroup6: 'ff02::12', enableScriptSecurity: false, startupDelayMs: 0, processPriority: -10, garp: instanceConfig().garp };
const current: HotstandbyConfig = { global, instances: [instanceConfig()], checks: [], syncGroups: [] };

/** reloadCheck over fakes that record what was asked of them, in order. */
function fakes(options: { scripts?: () => Promise<void>; refresh?: () => Promise<void>; moved?: Map<string, string> } = {}) {
  const calls: string[] = [];
  const check = reloadCheck({
    network: {
      refresh: async () => {
        calls.push('refresh');
        await options.refresh?.();
      },
    },
    instances: {
      placementChanges: () => (calls.push('placementChanges'), options.moved ?? new Map()),
      useConfig: () => void calls.push('useConfig'),
    },
    notifications: {
      prepare: async () => (calls.push('prepare notify'), { apply: () => void calls.push('apply notify') }),
    },
    validateScripts: async () => {
      calls.push('validateScripts');
      await options.scripts?.();
    },
    setPriority: (nice) => void calls.push(`setPriority ${nice}`),
  });
  return { check, calls };
}

test('reloadCheck: interfaces and addresses are re-read before the instances are placed, and nothing is applied before commit', async () => {
  const moved = new Map([['VI_1', 'source address 10.0.0.1 → 10.0.0.5']]);
  const { check, calls } = fakes({ moved });
  const prepared = await check({ ...current, global: { ...global, routerId: 'lb-2' } }, current);
  assert.deepEqual(calls, ['validateScripts', 'refresh', 'placementChanges', 'prepare notify']);
  assert.equal(prepared.rebuild, moved);
  assert.deepEqual(prepared.changes, ['global routerId (router_id) unset → lb-2: shown from now on']);
  prepared.commit();
  assert.deepEqual(calls.slice(4), ['useConfig', 'apply notify']);
});

test('reloadCheck: a script that fails script security refuses the reload with its message', async () => {
  const { check, calls } = fakes({
    scripts: () => Promise.reject(new ConfigError('/tmp/x.sh is writable by others', { file: 'k.conf', line: 9 }, 'VI_1 notify master')),
  });
  await assert.rejects(check(current, current), /k\.conf:9: VI_1 notify master: \/tmp\/x\.sh is writable by others/);
  assert.ok(!calls.includes('prepare notify'), 'nothing is opened for a refused reload');
});

test('reloadCheck: an interface that cannot be read refuses the reload and says so', async () => {
  const { check } = fakes({ refresh: () => Promise.reject(new Error('ENOBUFS')) });
  await assert.rejects(check(current, current), /cannot read the interfaces and addresses: ENOBUFS/);
});

test('reloadCheck: a changed processPriority is set at commit (after the rest), an unchanged one is left alone', async () => {
  const { check, calls } = fakes();
  const prepared = await check({ ...current, global: { ...global, processPriority: -5 } }, current);
  assert.ok(!calls.some((c) => c.startsWith('setPriority')), 'nothing before commit');
  assert.match(prepared.changes.join('\n'), /^global processPriority \(vrrp_priority\) -10 → -5: the daemon's threads .* set to it now/);
  prepared.commit();
  assert.deepEqual(calls.slice(4), ['useConfig', 'apply notify', 'setPriority -5']);

  const same = fakes();
  (await same.check({ ...current, global: { ...global, routerId: 'lb-2' } }, current)).commit();
  assert.ok(!same.calls.some((c) => c.startsWith('setPriority')));
});
