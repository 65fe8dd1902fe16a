/** The chaos soak's pure parts: seeded plans, the oracle's world model and expectation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_KINDS, PAUSE_MDI_RANGE, describeSteps, planCycle, type ChaosSetup, type ChaosStep } from '../../src/lab/chaos/plan.js';
import { applyStep, expectation, initialWorld, type World } from '../../src/lab/chaos/oracle.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';

const setup: ChaosSetup = { nodes: [{ name: 'a', priority: 150 }, { name: 'b', priority: 100 }], version: 3, advertIntMs: 100 };

function worldAfter(steps: readonly ChaosStep[]): World {
  return steps.reduce(applyStep, initialWorld(setup));
}

test('planCycle(): the same run seed and index give the same cycle, whatever else runs', () => {
  assert.deepEqual(planCycle(setup, 42, 7), planCycle(setup, 42, 7));
  assert.notDeepEqual(planCycle(setup, 42, 7).seed, planCycle(setup, 42, 8).seed);
  assert.notDeepEqual(planCycle(setup, 42, 7).seed, planCycle(setup, 43, 7).seed);
});

test('planCycle(): every fault kind comes up, and every cycle ends with the pair whole and a check', () => {
  const seen = new Set<string>();
  for (let index = 0; index < 400; index++) {
    const plan = planCycle(setup, 1, index);
    seen.add(plan.kind);
    assert.equal(plan.steps.at(-1)?.do, 'check', `cycle ${index} ends with a check`);
    const end = worldAfter(plan.steps);
    for (const [name, condition] of end) assert.deepEqual(condition, { daemon: 'running', cut: false, impaired: false }, `${name} after cycle ${index}: ${describeSteps(plan.steps)}`);
    assert.deepEqual(expectation(setup, end), { holder: 'a', excused: [] }, 'the master holds the VIP at the end of every cycle');
  }
  assert.deepEqual([...seen].sort(), [...FAULT_KINDS].sort());
});

test('planCycle(): SIGSTOP lasts 0.2 to 3 Master_Down_Intervals of the paused node', () => {
  for (let index = 0; index < 400; index++) {
    const plan = planCycle(setup, 9, index);
    if (plan.kind !== 'sigstop-master' && plan.kind !== 'sigstop-backup') continue;
    const node = plan.kind === 'sigstop-master' ? setup.nodes[0] : setup.nodes[1];
    const mdi = masterDownIntervalMs(3, node?.priority as number, 100);
    const wait = plan.steps.find((step) => step.do === 'wait');
    assert.ok(wait?.do === 'wait' && wait.ms >= Math.floor(PAUSE_MDI_RANGE[0] * mdi) && wait.ms <= Math.ceil(PAUSE_MDI_RANGE[1] * mdi), `${wait?.do === 'wait' ? wait.ms : '?'} ms vs MDI ${mdi}`);
  }
});

test('planCycle(): the stand-in cycle kills the backup while the master is down, and checks the backup took over first', () => {
  const plan = Array.from({ length: 200 }, (_, i) => planCycle(setup, 5, i)).find((p) => p.kind === 'kill9-standin');
  assert.ok(plan);
  const masterDown = plan.steps.findIndex((step) => step.do === 'kill' && step.node === 'a');
  const backupKilled = plan.steps.findIndex((step) => step.do === 'kill' && step.node === 'b' && step.signal === 'SIGKILL');
  assert.ok(masterDown >= 0 && backupKilled > masterDown);
  assert.deepEqual(expectation(setup, worldAfter(plan.steps.slice(0, masterDown + 1))), {
    holder: 'b',
    excused: (plan.steps[masterDown] as { signal: string }).signal === 'SIGKILL' ? ['a'] : [],
  });
  assert.equal(expectation(setup, worldAfter(plan.steps.slice(0, backupKilled + 1))), undefined, 'nobody to hold the VIP');
});

test('expectation(): the highest-priority running node holds; killed ones are excused; nothing is checked mid-spell', () => {
  assert.deepEqual(expectation(setup, initialWorld(setup)), { holder: 'a', excused: [] });
  assert.deepEqual(expectation(setup, worldAfter([{ do: 'kill', node: 'a', signal: 'SIGKILL' }])), { holder: 'b', excused: ['a'] });
  assert.deepEqual(expectation(setup, worldAfter([{ do: 'kill', node: 'a', signal: 'SIGTERM' }])), { holder: 'b', excused: [] });
  assert.deepEqual(expectation(setup, worldAfter([{ do: 'kill', node: 'b', signal: 'SIGKILL' }, { do: 'restart', node: 'b' }])), { holder: 'a', excused: [] });
  assert.equal(expectation(setup, worldAfter([{ do: 'pause', node: 'a' }])), undefined);
  assert.equal(expectation(setup, worldAfter([{ do: 'cut', node: 'b', carrier: false }])), undefined);
  assert.equal(expectation(setup, worldAfter([{ do: 'impair', node: 'b', lossPercent: 30, delayMs: 0, jitterMs: 0, reorder: false, direction: 'both' }])), undefined);
  assert.deepEqual(expectation(setup, worldAfter([{ do: 'pause', node: 'a' }, { do: 'resume', node: 'a' }])), { holder: 'a', excused: [] });
  assert.throws(() => applyStep(initialWorld(setup), { do: 'heal', node: 'c' }), /unknown node 'c'/);
});

test('describeSteps() names each step', () => {
  assert.equal(
    describeSteps([
      { do: 'kill', node: 'a', signal: 'SIGKILL' },
      { do: 'check' },
      { do: 'wait', ms: 12 },
      { do: 'cut', node: 'b', carrier: false },
      { do: 'impair', node: 'a', lossPercent: 0, delayMs: 50, jitterMs: 20, reorder: true, direction: 'both' },
      { do: 'restart', node: 'a' },
    ]),
    'kill -9 a, check, wait 12 ms, cut b (no carrier loss), impair a both 50 ± 20 ms reordering, restart a',
  );
});
