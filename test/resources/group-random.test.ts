/**
 * Seeded random scenarios for the resource core: roles flipping at random times, operations that
 * fail, hang or are slow. Invariants are checked at every driver call; at the end, with failures
 * turned off, the group must reach the last role. HOTSTANDBY_RESOURCE_SEED=N replays one run.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ResourceConfig } from '../../src/config/resource-model.js';
import { ResourceGroup } from '../../src/resources/group.js';
import type { ResourceRole } from '../../src/resources/resource.js';
import { FakeTime } from '../support/fake-time.js';
import { prng, seedFromEnv } from '../support/seeded-random.js';
import { FakeDriver, FakeGate, groupDeps, quietLog, resourceConfig, run, type Behaviour } from './fakes.js';

const ROLES: ResourceRole[] = ['master', 'backup', 'fault'];
const SCENARIOS = Number(process.env.HOTSTANDBY_RESOURCE_SCENARIOS ?? 40);

it(`random role changes and failures keep order, gate and fencing right (${SCENARIOS} scenarios)`, async () => {
  const firstSeed = seedFromEnv('HOTSTANDBY_RESOURCE_SEED');
  const count = process.env.HOTSTANDBY_RESOURCE_SEED ? 1 : SCENARIOS;
  for (let n = 0; n < count; n++) {
    const seed = (firstSeed + n) >>> 0;
    try {
      await scenario(seed);
    } catch (err) {
      console.log(`resource scenario failed; replay with HOTSTANDBY_RESOURCE_SEED=${seed} node --test dist/test/resources/group-random.test.js`);
      throw err;
    }
  }
  console.log(`# resource scenarios from seed ${firstSeed}: ${count} passed`);
});

async function scenario(seed: number): Promise<void> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[random() % items.length]!;
  const time = new FakeTime();
  const calls: string[] = [];
  const size = 1 + (random() % 4);
  const configs: ResourceConfig[] = [];
  for (let i = 0; i < size; i++) {
    // before-promote resources come after every after-promote one (config validation's rule).
    const vip = i === size - 1 && random() % 2 === 0 ? 'before-promote' : 'after-promote';
    const onStopFailure = random() % 2 === 0 ? { kind: 'fault' as const } : { kind: 'command' as const, command: ['fence'] };
    configs.push(resourceConfig(`r${i}`, { vip, onStopFailure }));
  }
  let group: ResourceGroup | undefined;
  const violations: string[] = [];
  const phaseOf = (i: number) => group!.status()[i]!.phase;
  const drivers: FakeDriver[] = configs.map((c, i) => new FakeDriver(c.name, time, calls, (_, op) => {
    if (op === 'promote') {
      if (group!.targetRole !== 'master') violations.push(`${c.name} promoted while ${group!.targetRole}`);
      for (let j = 0; j < i; j++) if (!drivers[j]!.active) violations.push(`${c.name} promoted before r${j}`);
    }
    if (op === 'demote') {
      for (let j = i + 1; j < drivers.length; j++) {
        if (drivers[j]!.active && phaseOf(j) !== 'stuck') violations.push(`${c.name} demoted while r${j} still active`);
      }
    }
  }));
  const gate = new FakeGate((allowed) => {
    if (!allowed) return;
    if (group && group.targetRole !== 'master') violations.push(`VIPs allowed while ${group.targetRole}`);
    configs.forEach((c, i) => {
      if (c.vip === 'after-promote' && group && !drivers[i]!.active) violations.push(`VIPs allowed before ${c.name} promoted`);
    });
  });
  const recorder = groupDeps(time, gate, random() % 3 !== 0, (name) => drivers.find((d) => d.name === name)?.fenced());
  group = new ResourceGroup('instance VI_1', configs.map((config, i) => ({ config, driver: drivers[i]!, log: quietLog })), recorder.deps);
  group.start();
  const behaviours: Behaviour[] = [{ ok: true, ms: 5 }, { ok: true, ms: 400 }, { ok: false, ms: 20 }, 'hang', { ok: true, ms: 1500 }];
  let role: ResourceRole = 'backup';
  const steps = 10 + (random() % 30);
  for (let s = 0; s < steps; s++) {
    const action = random() % 4;
    if (action === 0) {
      const driver = pick(drivers);
      const op = pick(['start', 'promote', 'demote', 'stop', 'monitor'] as const);
      (driver.script[op] ??= []).push(pick(behaviours));
    } else {
      role = pick(ROLES);
      calls.push(`ROLE ${role}@${time.now()}`);
      group.setRole(role);
    }
    await run(time, random() % 1500, 25);
    assert.deepEqual(violations, [], `seed ${seed}`);
  }
  // Quiet: no more failures; the group must reach the last role.
  for (const d of drivers) for (const key of Object.keys(d.script)) delete d.script[key as keyof typeof d.script];
  await run(time, 20_000, 100);
  assert.deepEqual(violations, [], `seed ${seed}`);
  assert.ok(drivers.every((d) => d.overlaps === 0), `seed ${seed}: overlapping operations: ${calls.join(' ')}`);
  if (role === 'master') {
    assert.ok(drivers.every((d) => d.active), `seed ${seed}: master but not all promoted: ${calls.join(' ')}`);
    assert.equal(gate.allowed, true, `seed ${seed}: master, VIPs not allowed`);
  } else {
    assert.ok(drivers.every((d) => !d.active), `seed ${seed}: ${role} but something active: ${calls.join(' ')}`);
    assert.ok(drivers.every((d) => d.running), `seed ${seed}: ${role} but something not started: ${calls.join(' ')}`);
    if (configs.some((c) => c.vip === 'after-promote')) assert.equal(gate.allowed, false);
  }
  assert.equal(group.currentPenalty().fault, undefined, `seed ${seed}: still FAULT: ${group.currentPenalty().fault}`);
  const stopping = group.stop();
  await run(time, 10_000, 100);
  await stopping;
  assert.ok(drivers.every((d) => !d.active && !d.running), `seed ${seed}: not all stopped at the end`);
}
