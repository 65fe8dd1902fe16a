/**
 * The chaos soak on a hotstandby pair at advert_int 0.1 s: seeded cycles of kill -9 (of the master,
 * the backup, and the backup standing in for a stopped master), SIGTERM, SIGSTOP for 0.2–3 × the
 * Master_Down_Interval, link flaps, 30 % loss and 50 ± 20 ms reordering delay, with a client
 * pinging the VIP throughout. After each fault the pair must converge within 3 × advert_int + 2 s:
 * the VIP on the configured highest-priority live node alone, the client's neighbour entry on its
 * MAC and the client answered.
 *
 * HOTSTANDBY_CHAOS_CYCLES (default 30) runs more or fewer cycles; HOTSTANDBY_CHAOS_SEED replays a
 * run (default: a fresh random seed, printed); HOTSTANDBY_CHAOS_FROM starts at a later cycle, so
 * `HOTSTANDBY_CHAOS_SEED=S HOTSTANDBY_CHAOS_FROM=i HOTSTANDBY_CHAOS_CYCLES=1` replays cycle i alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { labUnavailableReason, nativeAddonUnavailableReason } from '../../src/lab/index.js';
import { describeCycle, runSoak } from '../../src/lab/chaos/index.js';
import { keepalivedConf } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

function envInteger(name: string, fallback: () => number, min: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback();
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got '${text}'`);
  return value;
}

const cycles = envInteger('HOTSTANDBY_CHAOS_CYCLES', () => 30, 1);
const seed = envInteger('HOTSTANDBY_CHAOS_SEED', () => randomInt(1, 2 ** 31 - 1), 0);
const firstCycle = envInteger('HOTSTANDBY_CHAOS_FROM', () => 0, 0);

function replay(from: number, count: number): string {
  return `HOTSTANDBY_CHAOS_SEED=${seed} HOTSTANDBY_CHAOS_FROM=${from} HOTSTANDBY_CHAOS_CYCLES=${count} node --test dist/test/integration/chaos-soak.test.js`;
}

test(`a hotstandby pair converges after every chaos cycle (${cycles} cycles, seed ${seed})`, { skip, timeout: 30 * 60_000 }, async (t) => {
  t.diagnostic(`seed ${seed}, cycles ${firstCycle}…${firstCycle + cycles - 1}; replay: ${replay(firstCycle, cycles)}`);
  const result = await runSoak({
    daemon: 'hotstandby',
    seed,
    cycles,
    firstCycle,
    confFor: ({ priority, vip }) => keepalivedConf({ version: 3, advertInt: 0.1, priority, vips: [vip] }),
    log: (line) => t.diagnostic(line),
  });
  assert.equal(result.cycles.length, cycles, 'every cycle ran');
  const failed = result.cycles.filter((cycle) => !cycle.ok);
  const lines = failed.map(
    (cycle) => `${describeCycle(cycle)}\n  replay this cycle alone: ${replay(cycle.index, 1)}`,
  );
  assert.equal(
    failed.length,
    0,
    `${failed.length} of ${cycles} cycles did not converge within ${result.convergeLimitMs} ms (seed ${seed}; replay the run: ${replay(firstCycle, cycles)}):\n${lines.join('\n')}`,
  );
});
