import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckSet } from '../../src/check/check-set.js';
import type { HotstandbyConfig, InstanceConfig, LoadedConfig } from '../../src/config/model.js';
import { Controller, type ControllerDeps, type ManagedInstance } from '../../src/daemon/controller.js';
import { EventLog } from '../../src/daemon/event-log.js';
import { InstanceRunner } from '../../src/daemon/instance-runner.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { FakeTime } from '../support/fake-time.js';
import { instanceConfig } from '../support/instance-config.js';
import { createControlApi } from '../../src/api/control-api.js';
import { inject } from '../api/inject.js';

function hotstandbyConfig(instances: InstanceConfig[], syncGroups: HotstandbyConfig['syncGroups'] = []): HotstandbyConfig {
  return {
    global: {
      multicastGroup4: '224.0.0.18',
      multicastGroup6: 'ff02::12',
      enableScriptSecurity: false,
      startupDelayMs: 0, processPriority: -10,
      garp: { masterDelayMs: 0, masterRepeat: 1, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 0 },
    },
    instances,
    checks: [],
    syncGroups,
  };
}

/** A controller over real runners with fake I/O and a fake clock; links up unless marked down. */
function harness(config: HotstandbyConfig, prepareReload?: ControllerDeps['prepareReload'], resources?: ControllerDeps['resources']) {
  const time = new FakeTime();
  const down = new Set<string>();
  const groupStates: string[] = [];
  let load: () => Promise<LoadedConfig> = async () => ({ config, warnings: [] });
  const events = new EventLog({ wallClock: () => new Date(0) });
  const built: string[] = [];
  let controller!: Controller;
  const buildInstance = (instance: InstanceConfig): ManagedInstance => {
    built.push(instance.name);
    const runner: InstanceRunner = new InstanceRunner(
      instance,
      { text: '10.99.0.2', bytes: Buffer.from([10, 99, 0, 2]) },
      {
        clock: time,
        wallClock: () => new Date(0),
        timers: time,
        sender: { send: () => true },
        vips: { take() {}, release() {}, releaseStale() {} },
        announcer: { sent: 0, start() {}, burst() {}, lowerPriorityHeard() {}, stop() {} },
        log: silentLogger,
        onTransition: (record) => controller.transitioned(record),
      },
    );
    return { runner, settled: async () => {}, dispose() {} };
  };
  controller = new Controller(config, {
    log: silentLogger,
    events,
    buildInstance,
    buildChecks: (checks) => new CheckSet(checks, { clock: time, timers: time, log: silentLogger, wallClock: () => new Date(0) }),
    loadConfig: () => load(),
    linkUp: (name) => !down.has(name),
    unmatchedDrops: () => ({}),
    groupChanged: (group, state) => groupStates.push(`${group.name} ${state}`),
    ...(prepareReload ? { prepareReload } : {}),
    ...(resources ? { resources } : {}),
  });
  const state = (name: string) => controller.status().instances.find((i) => i.name === name)?.state;
  /** Awaits `promise` while the fake clock moves on (a stopping master waits for its handover). */
  const pump = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false;
    const result = promise.finally(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      time.advanceBy(100);
    }
    return result;
  };
  return {
    time,
    controller,
    state,
    pump,
    built,
    groupStates,
    setLink(name: string, up: boolean) {
      if (up) down.delete(name);
      else down.add(name);
      controller.linksChanged();
    },
    setNext(config: HotstandbyConfig) {
      load = async () => ({ config, warnings: [] });
    },
    setLoader(loader: () => Promise<LoadedConfig>) {
      load = loader;
    },
  };
}

const source = { file: 'test.conf', line: 1 };
const web = instanceConfig({ name: 'web', vrid: 51, interface: 'eth0' });
const db = instanceConfig({ name: 'db', vrid: 52, interface: 'eth1', priority: 90 });
const group = { name: 'front', instances: ['web', 'db'], notify: {}, source };

test('Controller: sync group members become MASTER together and one FAULT takes the other with it', () => {
  const h = harness(hotstandbyConfig([web, db], [group]));
  h.controller.start();
  h.time.advanceBy(400); // web's master-down (priority 100) fires first; db follows at once
  assert.equal(h.state('web'), 'MASTER');
  assert.equal(h.state('db'), 'MASTER');
  assert.ok(h.groupStates.includes('front MASTER'));

  h.setLink('eth0', false);
  assert.equal(h.state('web'), 'FAULT');
  assert.equal(h.state('db'), 'FAULT', 'db follows web into FAULT');
  assert.ok(h.groupStates.includes('front FAULT'));

  h.setLink('eth0', true);
  assert.equal(h.state('web'), 'BACKUP');
  assert.equal(h.state('db'), 'BACKUP', 'db recovers once no member has a fault of its own');
  h.time.advanceBy(400);
  assert.equal(h.state('web'), 'MASTER');
  assert.equal(h.state('db'), 'MASTER');
});

test('Controller: a member faulted on its own stays in FAULT when the other recovers', () => {
  const h = harness(hotstandbyConfig([web, db], [group]));
  h.controller.start();
  h.time.advanceBy(400);
  h.setLink('eth0', false);
  h.setLink('eth1', false);
  h.setLink('eth0', true);
  assert.equal(h.state('db'), 'FAULT');
  assert.equal(h.state('web'), 'FAULT', 'db still has its own fault, so web is held');
  h.setLink('eth1', true);
  assert.equal(h.state('web'), 'BACKUP');
  assert.equal(h.state('db'), 'BACKUP');
});

test('Controller reload: unchanged instances untouched, priority changed in place, others replaced, added, removed', async () => {
  const other = instanceConfig({ name: 'other', vrid: 53, interface: 'eth2' });
  const h = harness(hotstandbyConfig([web, db, other]));
  h.controller.start();
  h.time.advanceBy(400);
  const transitionsBefore = h.controller.events().filter((e) => e.type === 'transition' && e.instance === 'web').length;

  const added = instanceConfig({ name: 'new', vrid: 54, interface: 'eth3' });
  h.setNext(hotstandbyConfig([{ ...web, source: { file: 'test.conf', line: 40 } }, { ...db, priority: 60 }, added]));
  const result = await h.pump(h.controller.reload());
  assert.equal(result.ok, true);
  assert.deepEqual(result.changes.sort(), ['added new', 'removed other', 'updated db'].sort());
  assert.equal(h.controller.events().filter((e) => e.type === 'transition' && e.instance === 'web').length, transitionsBefore, 'web unchanged');
  const status = h.controller.status().instances;
  assert.equal(status.find((i) => i.name === 'db')?.effectivePriority, 60);
  assert.equal(status.find((i) => i.name === 'db')?.state, 'MASTER', 'a priority change needs no transition');
  assert.equal(status.find((i) => i.name === 'new')?.state, 'BACKUP', 'new instances start as backup');
  assert.equal(status.find((i) => i.name === 'other'), undefined);

  h.setNext(hotstandbyConfig([{ ...web, vrid: 99 }, { ...db, priority: 60 }, added]));
  const replaced = await h.pump(h.controller.reload());
  assert.deepEqual(replaced.changes, ['replaced web']);
  assert.equal(h.controller.status().instances.find((i) => i.name === 'web')?.vrid, 99);
});

test('Controller reload refuses a configuration that does not load and keeps running', async () => {
  const h = harness(hotstandbyConfig([web]));
  h.controller.start();
  h.time.advanceBy(400);
  h.setLoader(async () => {
    throw new Error('file vanished');
  });
  const result = await h.controller.reload();
  assert.equal(result.ok, false);
  assert.match(result.message, /file vanished/);
  assert.equal(h.state('web'), 'MASTER');
});

test('Controller maintenance and GARP: unknown instances are refused', async () => {
  const h = harness(hotstandbyConfig([web]));
  h.controller.start();
  await assert.rejects(h.controller.setMaintenance('nope', true), /No instance named 'nope'/);
  assert.throws(() => h.controller.sendGarp('nope'), /No instance named 'nope'/);
  assert.throws(() => h.controller.sendGarp('web'), /only a master announces/);
});

test('Controller reload refused by the host check (missing interface, insecure script, global needing a restart) changes nothing', async () => {
  const h = harness(hotstandbyConfig([web]), async () => {
    throw new Error("test.conf:9: interface: interface 'eth9' does not exist on this host");
  });
  h.controller.start();
  h.time.advanceBy(400);
  h.setNext(hotstandbyConfig([web, db]));
  const result = await h.controller.reload();
  assert.equal(result.ok, false);
  assert.match(result.message, /interface 'eth9' does not exist/);
  assert.deepEqual(h.built, ['web'], 'no instance was built or rebuilt');
  assert.equal(h.state('web'), 'MASTER');
  assert.match(h.controller.events().at(-1)?.message ?? '', /^reload refused: .*eth9/);
});

test('Controller reload rebuilds the instances the host moved under, reports global changes, and commits before building', async () => {
  let h!: ReturnType<typeof harness>;
  h = harness(hotstandbyConfig([web, db]), async () => ({
    rebuild: new Map([['web', 'source address 10.99.0.2 → 10.99.0.5']]),
    changes: ['global routerId (router_id) unset → lb-2: shown from now on'],
    commit: () => void h.built.push('commit'),
  }));
  h.controller.start();
  h.time.advanceBy(400);
  const result = await h.pump(h.controller.reload());
  assert.equal(result.ok, true);
  assert.deepEqual(result.changes, ['replaced web: source address 10.99.0.2 → 10.99.0.5', 'global routerId (router_id) unset → lb-2: shown from now on']);
  assert.deepEqual(h.built, ['web', 'db', 'commit', 'web'], 'db untouched; web rebuilt after the commit');
});

test('Controller actions name who asked in the event log: maintenance, GARP, reload and a refused reload', async () => {
  const h = harness(hotstandbyConfig([web]));
  h.controller.start();
  h.time.advanceBy(400);
  assert.equal(h.state('web'), 'MASTER');
  h.controller.sendGarp('web', 'admin token from 10.0.0.5');
  const garp = h.controller.events().at(-1);
  assert.deepEqual([garp?.type, garp?.instance, garp?.message, garp?.fields], ['garp', 'web', 'gratuitous ARP / NA sent by admin token from 10.0.0.5', { actor: 'admin token from 10.0.0.5' }]);
  h.setNext(hotstandbyConfig([web]));
  const reloaded = await h.pump(h.controller.reload('control socket (alice)'));
  assert.equal(reloaded.ok, true);
  const reload = h.controller.events().at(-1);
  assert.equal(reload?.message, 'configuration unchanged by control socket (alice)');
  assert.equal(reload?.fields?.actor, 'control socket (alice)');
  void h.controller.setMaintenance('web', true, 'browser session (admin) from 127.0.0.1');
  const maintenance = h.controller.events().find((e) => e.type === 'maintenance');
  assert.equal(maintenance?.message, 'maintenance on by browser session (admin) from 127.0.0.1');
  const unnamed = harness(hotstandbyConfig([web]));
  unnamed.controller.start();
  unnamed.time.advanceBy(400);
  unnamed.controller.sendGarp('web');
  assert.equal(unnamed.controller.events().at(-1)?.message, 'gratuitous ARP / NA sent', 'no actor: the message as before');
});

test('maintenance through the API is refused (409, naming why) when a resource knows no peer can take over; the master keeps serving; force hands over', async () => {
  let blockers = ["resource 'db': b is not connected as a standby (down, unreachable, or its copy is still being made)"];
  const h = harness(hotstandbyConfig([web]), undefined, {
    penaltyFor: () => ({ offset: 0, fault: undefined }),
    status: () => [],
    handoverBlockers: (instance) => (instance === 'web' ? blockers : []),
  });
  h.controller.start();
  h.time.advanceBy(400);
  assert.equal(h.state('web'), 'MASTER');
  const api = createControlApi(h.controller, { log: silentLogger, metrics: { defaultMetrics: false } });
  const refused = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true } });
  assert.equal(refused.status, 409);
  assert.match(refused.json().error, /^Maintenance refused, no peer can take over web: resource 'db': b is not connected as a standby .*force hands over anyway/);
  assert.equal(h.state('web'), 'MASTER', 'nothing changed');
  assert.equal(h.controller.status().instances[0]?.maintenance, false);
  assert.match(h.controller.events().at(-1)?.message ?? '', /^maintenance on refused by control socket: no peer can take over web: resource 'db'/);

  const badForce = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true, force: 'yes' } });
  assert.equal(badForce.status, 400);
  assert.match(badForce.json().error, /"force" must be true or false/);

  // Forced: it hands over all the same; with no peer at all it then has no master (what force means).
  const forced = await h.pump(inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true, force: true } }));
  assert.equal(forced.status, 200);
  assert.equal(h.state('web'), 'BACKUP');
  assert.match(h.controller.events().find((e) => e.message.startsWith('maintenance on (forced)'))?.message ?? '', /forced/);
  const off = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: false } });
  assert.equal(off.status, 200);
  h.time.advanceBy(1000);
  assert.equal(h.state('web'), 'MASTER');

  // Once the resource has nothing against it, the VRRP hand-over decides (next test).
  blockers = [];
  const tried = h.pump(inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true } }));
  assert.equal((await tried).status, 409, 'no peer in this harness: refused after trying');
});

test('maintenance with no peer to take over: the master steps down with priority 0, nobody comes, it serves again; 409 names why', async () => {
  const h = harness(hotstandbyConfig([web]));
  h.controller.start();
  h.time.advanceBy(400);
  const api = createControlApi(h.controller, { log: silentLogger, metrics: { defaultMetrics: false } });
  const states: string[] = [];
  const res = await h.pump(
    inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true } }).finally(() => states.push(h.state('web') ?? '?')),
  );
  assert.equal(res.status, 409);
  assert.match(res.json().error, /^Maintenance refused, no peer took over after it left with priority 0 .*: web is MASTER again and maintenance is off/);
  assert.deepEqual(states, ['MASTER']);
  assert.equal(h.controller.status().instances[0]?.maintenance, false);
  const log = h.controller.events().map((e) => e.message);
  assert.ok(log.some((m) => m.startsWith('BACKUP → MASTER: maintenance refused: no peer took over')), log.join('\n'));
  assert.ok(log.includes('maintenance off: no peer took over after it left with priority 0 (none reachable, or each one FAULT or in maintenance); web serves again'));
});
