import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, SCENARIO_FAMILIES } from '../../src/sim/scenario.js';

/** HOTSTANDBY_SIM_SCENARIOS runs more (e.g. 50000); HOTSTANDBY_SIM_SEED replays one scenario. */
const count = Number(process.env.HOTSTANDBY_SIM_SCENARIOS ?? 2000);
const firstSeed = Number(process.env.HOTSTANDBY_SIM_FIRST_SEED ?? 1);
const onlySeed = process.env.HOTSTANDBY_SIM_SEED;

test(`simulated LANs satisfy the VRRP properties over ${onlySeed ? `seed ${onlySeed}` : `${count} seeded scenarios`}`, () => {
  const seeds = onlySeed ? [Number(onlySeed)] : Array.from({ length: count }, (_, i) => firstSeed + i);
  const perFamily = new Map<string, number>();
  for (const seed of seeds) {
    const result = runScenario(seed);
    perFamily.set(result.family, (perFamily.get(result.family) ?? 0) + 1);
    if (result.failures.length > 0) {
      assert.fail(
        `scenario seed ${seed} failed:\n  ${result.failures.join('\n  ')}\n` +
          `scenario: ${result.description}\n` +
          `replay: HOTSTANDBY_SIM_SEED=${seed} node --test dist/test/sim/simulator.test.js`,
      );
    }
  }
  // Every family must actually have been exercised when running many.
  if (!onlySeed && count >= 100) {
    for (const family of SCENARIO_FAMILIES) assert.ok((perFamily.get(family) ?? 0) > 0, `family ${family} never ran`);
  }
});

test('runScenario() is a pure function of its seed', () => {
  for (const seed of [7, 99, 12345]) {
    assert.deepEqual(runScenario(seed), runScenario(seed));
  }
});
