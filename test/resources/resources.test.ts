import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HotstandbyConfig } from '../../src/config/model.js';
import type { ResourceConfig } from '../../src/config/resource-model.js';
import { ResourceKinds } from '../../src/resources/registry.js';
import type { ResourceKind } from '../../src/resources/resource.js';
import { Resources, type InstanceFacts } from '../../src/resources/resources.js';
import { instanceConfig } from '../support/instance-config.js';
import { FakeTime } from '../support/fake-time.js';
import { FakeDriver, quietLog, resourceConfig, run } from './fakes.js';

/** A state directory per Resources, all removed once the file's tests are done. */
const stateRoots: string[] = [];
function stateRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-resources-'));
  stateRoots.push(dir);
  return dir;
}
after(() => {
  for (const dir of stateRoots) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const time = new FakeTime();
  const calls: string[] = [];
  const drivers: FakeDriver[] = [];
  const fakeKind: ResourceKind<{ tag?: string }> = {
    kind: 'fake',
    doc: 'test',
    fields: [],
    parse: () => ({}),
    create: (_settings, host) => {
      const driver = new FakeDriver(host.name, time, calls);
      drivers.push(driver);
      return driver;
    },
  };
  const gates = new Map<string, boolean>();
  const config = (resources: ResourceConfig[]): HotstandbyConfig =>
    ({
      global: { enableScriptSecurity: false },
      instances: [instanceConfig({ name: 'VI_1' }), instanceConfig({ name: 'VI_2', vrid: 52 }), instanceConfig({ name: 'VI_3', vrid: 53 })],
      checks: [],
      syncGroups: [{ name: 'G', instances: ['VI_2', 'VI_3'], notify: {}, source: { file: 't', line: 1 } }],
      resources,
    }) as unknown as HotstandbyConfig;
  const penalties: string[][] = [];
  const open = (resources: ResourceConfig[]) =>
    Resources.open(config(resources), {
      clock: time,
      timers: time,
      log: quietLog,
      kinds: new ResourceKinds([fakeKind]),
      stateRoot: stateRoot(),
      gate: (instance) => ({ set: (allowed) => gates.set(instance, allowed), settled: async () => undefined }),
      fence: async () => undefined,
      onEvent: () => undefined,
    }).then((r) => {
      r.onPenaltyChange((names) => penalties.push([...names]));
      return r;
    });
  const state = (s: InstanceFacts['state']) => () => ({ state: s, masterAddress: null });
  return { time, calls, drivers, gates, config, open, state, penalties };
}

describe('Resources', () => {
  it('follows transitions of its instance and reports its penalty for that instance only', async () => {
    const t = setup();
    const resources = await t.open([resourceConfig('a', { kind: 'fake' })]);
    resources.start();
    await run(t.time, 100);
    assert.deepEqual(resources.penaltyFor('VI_1'), { fault: undefined, offset: 0 });
    assert.equal(t.gates.get('VI_1'), false, 'after-promote gates the VIPs of VI_1');
    assert.equal(t.gates.get('VI_2'), undefined, 'VI_2 is not gated');
    resources.roleChanged('VI_1', t.state('MASTER'));
    await run(t.time, 100);
    assert.deepEqual(t.calls, ['a:start', 'a:promote']);
    assert.equal(t.gates.get('VI_1'), true);
    assert.equal(resources.status()[0]?.phase, 'active');
  });

  it('a sync group is MASTER for its resources when all members are; FAULT when any is; both members gated and penalised', async () => {
    const t = setup();
    const resources = await t.open([resourceConfig('a', { kind: 'fake', follows: { syncGroup: 'G' } })]);
    resources.start();
    await run(t.time, 100);
    assert.equal(t.gates.get('VI_2'), false);
    assert.equal(t.gates.get('VI_3'), false);
    resources.roleChanged('VI_2', t.state('MASTER'));
    await run(t.time, 100);
    assert.deepEqual(t.calls, ['a:start'], 'one member MASTER is not enough');
    resources.roleChanged('VI_3', t.state('MASTER'));
    await run(t.time, 100);
    assert.deepEqual(t.calls, ['a:start', 'a:promote']);
    assert.equal(t.gates.get('VI_2'), true);
    assert.equal(t.gates.get('VI_3'), true);
    resources.roleChanged('VI_3', t.state('FAULT'));
    await run(t.time, 100);
    assert.deepEqual(t.calls.at(-1), 'a:demote');
    assert.equal(resources.status()[0]?.role, 'fault');
    assert.equal(resources.penaltyFor('VI_2'), resources.penaltyFor('VI_3'));
    assert.deepEqual(resources.penaltyFor('VI_1'), { fault: undefined, offset: 0 });
  });

  it('reload: a changed group is refused while its instance is MASTER, rebuilt while BACKUP', async () => {
    const t = setup();
    const before = [resourceConfig('a', { kind: 'fake' })];
    const resources = await t.open(before);
    resources.start();
    resources.roleChanged('VI_1', t.state('MASTER'));
    await run(t.time, 100);
    const after = t.config([resourceConfig('a', { kind: 'fake', retryAfterMs: 1000 })]);
    await assert.rejects(resources.prepare(after), /resources following instance VI_1 \(a\) would change while it is MASTER: hand over first/);
    // Unchanged (only where it was written differs): accepted, nothing restarts.
    const same = await resources.prepare(t.config([{ ...before[0]!, source: { file: 'other.yaml', line: 9 } }]));
    assert.deepEqual(same.changes, []);

    resources.roleChanged('VI_1', t.state('BACKUP'));
    await run(t.time, 100);
    const reload = await resources.prepare(after);
    assert.deepEqual(reload.changes, ['resources of instance VI_1 rebuilt']);
    reload.apply();
    await run(t.time, 200);
    assert.deepEqual(t.calls, ['a:start', 'a:promote', 'a:demote', 'a:stop', 'a:start'], 'the old driver stopped before the new one started');
  });

  it('reload: a role change while the old group is still stopping does not start the rebuilt one early', async () => {
    const t = setup();
    const resources = await t.open([resourceConfig('a', { kind: 'fake' })]);
    resources.start();
    resources.roleChanged('VI_1', t.state('BACKUP'));
    await run(t.time, 100);
    t.drivers[0]!.script.stop = [{ ok: true, ms: 500 }];
    const reload = await resources.prepare(t.config([resourceConfig('a', { kind: 'fake', retryAfterMs: 1000 })]));
    reload.apply();
    // The new group's penalty ("starting") faults the instance at once; the daemon passes that on.
    resources.roleChanged('VI_1', t.state('FAULT'));
    await run(t.time, 300);
    assert.deepEqual(t.calls, ['a:start', 'a:stop'], 'the new resource waits for the old one’s stop');
    await run(t.time, 400);
    assert.deepEqual(t.calls, ['a:start', 'a:stop', 'a:start']);
    assert.equal(resources.status()[0]?.phase, 'standby');
  });

  it('reload: resources removed from a backup are stopped; added ones start', async () => {
    const t = setup();
    const resources = await t.open([resourceConfig('a', { kind: 'fake' })]);
    resources.start();
    await run(t.time, 100);
    const reload = await resources.prepare(t.config([resourceConfig('b', { kind: 'fake', follows: { instance: 'VI_2' } })]));
    assert.deepEqual(reload.changes, ['resources of instance VI_1 removed', 'resources of instance VI_2 added']);
    reload.apply();
    await run(t.time, 200);
    assert.deepEqual(t.calls, ['a:start', 'a:stop', 'b:start']);
    assert.deepEqual(resources.status().map((s) => s.name), ['b']);
    const closing = resources.close();
    await run(t.time, 100);
    await closing;
    assert.deepEqual(t.calls.at(-1), 'b:stop');
  });
});
