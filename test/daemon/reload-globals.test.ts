import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GlobalConfig } from '../../src/config/model.js';
import { GLOBAL_RELOAD, planGlobals } from '../../src/daemon/reload-globals.js';

const base: GlobalConfig = {
  multicastGroup4: '224.0.0.18',
  multicastGroup6: 'ff02::12',
  enableScriptSecurity: false,
  startupDelayMs: 0, processPriority: -10,
  garp: { masterDelayMs: 5000, masterRepeat: 5, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 0 },
};

test('planGlobals: an unchanged global section changes nothing', () => {
  assert.deepEqual(planGlobals(base, { ...base, garp: { ...base.garp } }), { changes: [], refused: [] });
});

test('planGlobals: every changed global is reported with its key, keepalived keyword, old and new value', () => {
  const after: GlobalConfig = {
    ...base,
    routerId: 'lb-2',
    multicastGroup4: '224.0.0.19',
    scriptUser: 'nobody',
    enableScriptSecurity: true,
    notifyFifo: '/run/n.fifo',
    startupDelayMs: 2000,
    garp: { ...base.garp, masterRepeat: 3 },
  };
  const plan = planGlobals(base, after);
  assert.deepEqual(plan.refused, []);
  const changed = (key: string) => plan.changes.find((c) => c.startsWith(`global ${key} `));
  assert.match(changed('routerId') ?? '', /\(router_id\) unset → lb-2/);
  assert.match(changed('multicastGroup4') ?? '', /\(vrrp_mcast_group4\) 224\.0\.0\.18 → 224\.0\.0\.19: IPv4 multicast instances rebuilt/);
  assert.match(changed('scriptUser') ?? '', /\(script_user\) unset → nobody/);
  assert.match(changed('enableScriptSecurity') ?? '', /false → true/);
  assert.match(changed('notifyFifo') ?? '', /\(notify_fifo\) unset → \/run\/n\.fifo/);
  assert.match(changed('startupDelayMs') ?? '', /\(vrrp_startup_delay\) 0 → 2000: used at the next start/);
  assert.match(changed('garp') ?? '', /"masterRepeat":3/);
  assert.equal(plan.changes.length, 7);
});

test('planGlobals: a changed processPriority is applied by the reload, not left for the next start', () => {
  const plan = planGlobals(base, { ...base, processPriority: -5 });
  assert.deepEqual(plan.refused, []);
  assert.equal(GLOBAL_RELOAD.processPriority.reload, 'in-place');
  assert.deepEqual(plan.changes, [
    "global processPriority (vrrp_priority) -10 → -5: the daemon's threads (and its session's autogroup when it leads the session) set to it now; children still get the priority it was started with",
  ]);
});

test('planGlobals: a global that needs a restart refuses the reload, naming the key and keyword', () => {
  const table = { ...GLOBAL_RELOAD, multicastGroup6: { keyword: 'vrrp_mcast_group6', reload: 'restart' as const, effect: '' } };
  const plan = planGlobals(base, { ...base, multicastGroup6: 'ff02::13' }, table);
  assert.deepEqual(plan.changes, []);
  assert.equal(plan.refused.length, 1);
  assert.match(plan.refused[0] ?? '', /^global multicastGroup6 \(vrrp_mcast_group6\) ff02::12 → ff02::13: cannot change while running; restart hotstandby/);
});
