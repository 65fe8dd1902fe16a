/**
 * The replication-lag alarm: pure stepping with an injected clock (thresholds, the `for` and
 * `clearAfter` delays, the 80 % clear level, a lag no longer measured), then in the resource
 * core with a fake driver: events raised and cleared once each, status and the metric.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { registerResourceMetrics } from '../../src/api/resource-metrics.js';
import { formatResources } from '../../src/cli/resource-status.js';
import { ResourceGroup, type LagAlarmEvent } from '../../src/resources/group.js';
import { INITIAL_LAG_ALARM, lagLevel, stepLagAlarm, type LagAlarmConfig, type LagAlarmState } from '../../src/resources/lag-alarm.js';
import { FakeTime } from '../support/fake-time.js';
import { FakeDriver, FakeGate, groupDeps, quietLog, resourceConfig, run } from './fakes.js';

/** Feeds samples [t ms, gauges] and returns the changes with their times. */
function feed(config: LagAlarmConfig, samples: Array<[number, Record<string, number> | undefined]>): { changes: string[]; state: LagAlarmState } {
  let state = INITIAL_LAG_ALARM;
  const changes: string[] = [];
  for (const [t, gauges] of samples) {
    const step = stepLagAlarm(config, state, gauges, t);
    state = step.state;
    if (step.change) changes.push(`${step.change}@${t}`);
  }
  return { changes, state };
}

const seconds = (lag: number) => ({ lag_seconds: lag, lag_bytes: 0 });

describe('stepLagAlarm', () => {
  const config: LagAlarmConfig = { lagMs: 5000, forMs: 3000, clearAfterMs: 2000 };

  it('raises only after the lag stayed over the threshold for `for`', () => {
    const { changes, state } = feed(config, [
      [0, seconds(1)],
      [1000, seconds(6)],
      [2000, seconds(7)],
      [3000, seconds(8)],
      [4000, seconds(9)],
    ]);
    assert.deepEqual(changes, ['raised@4000']);
    assert.equal(state.raised, true);
    assert.match(state.message ?? '', /over the threshold for 3 s: lag 9 s \(alarm above 5 s\)/);
  });

  it('a dip below the threshold restarts the `for` delay (no raise on short spikes)', () => {
    const { changes } = feed(config, [
      [0, seconds(6)],
      [2000, seconds(6)],
      [2500, seconds(4)],
      [3500, seconds(6)],
      [6000, seconds(6)],
      [6500, seconds(6)],
    ]);
    assert.deepEqual(changes, ['raised@6500']);
  });

  it('clears only below 80 % of the threshold, after `clearAfter`; hovering at the threshold does not flap', () => {
    const { changes } = feed(config, [
      [0, seconds(9)],
      [3000, seconds(9)], // raised
      [4000, seconds(4.5)], // under the threshold, but not under 80 % of it: stays raised
      [8000, seconds(4.9)],
      [12000, seconds(5.1)],
      [13000, seconds(3)], // under 4 s: the clear delay starts
      [14000, seconds(4.2)], // back between: the delay restarts
      [15000, seconds(1)],
      [16999, seconds(0)],
      [17000, seconds(0)],
    ]);
    assert.deepEqual(changes, ['raised@3000', 'cleared@17000']);
  });

  it('a lag no longer measured (demoted, stopped) clears at once; unmeasured never raises', () => {
    const { changes, state } = feed(config, [
      [0, seconds(9)],
      [3000, seconds(9)],
      [3100, undefined],
      [3200, {}],
      [10_000, { queue_depth: 4 }],
    ]);
    assert.deepEqual(changes, ['raised@3000', 'cleared@3100']);
    assert.match(state.message ?? '', /no longer measured/);
  });

  it('bytes and seconds: over either raises; clearing needs both back under their clear levels', () => {
    const both: LagAlarmConfig = { lagMs: 5000, bytes: 1000, forMs: 0, clearAfterMs: 0 };
    assert.equal(lagLevel(both, { lag_seconds: 1, lag_bytes: 1001 }), 'over');
    assert.equal(lagLevel(both, { lag_seconds: 5.1, lag_bytes: 0 }), 'over');
    assert.equal(lagLevel(both, { lag_seconds: 1, lag_bytes: 900 }), 'between');
    assert.equal(lagLevel(both, { lag_seconds: 1, lag_bytes: 799 }), 'under');
    assert.equal(lagLevel(both, { lag_bytes: 10 }), 'under', 'a kind reporting only bytes (postgresql) is judged on bytes');
    assert.equal(lagLevel({ bytes: 1000, forMs: 0, clearAfterMs: 0 }, { lag_seconds: 99 }), 'unmeasured', 'seconds are not watched when only bytes is set');
    assert.equal(lagLevel(both, { lag_seconds: Number.NaN }), 'unmeasured');
    const { changes } = feed(both, [
      [0, { lag_seconds: 0, lag_bytes: 5000 }],
      [10, { lag_seconds: 0, lag_bytes: 0 }],
    ]);
    assert.deepEqual(changes, ['raised@0', 'cleared@10'], 'for: 0 and clearAfter: 0 act on the first sample');
  });
});

describe('the lag alarm in the resource core', () => {
  it('one raised and one cleared event, shown in status, the CLI table and the metric; cleared when the resource stops', async () => {
    const time = new FakeTime();
    const calls: string[] = [];
    const driver = new FakeDriver('files', time, calls);
    const alarms: LagAlarmEvent[] = [];
    const rec = groupDeps(time, new FakeGate());
    const config = resourceConfig('files', { monitorIntervalMs: 500, lagAlarm: { lagMs: 2000, forMs: 1000, clearAfterMs: 1000 } });
    const group = new ResourceGroup('instance VI_1', [{ config, driver, log: quietLog }], { ...rec.deps, onLagAlarm: (e) => alarms.push(e) });
    const registry = new Registry();
    registerResourceMetrics(registry, () => group.status());
    const metric = async () => (await registry.getSingleMetricAsString('hotstandby_resource_lag_alarm')).split('\n').find((l) => l.startsWith('hotstandby_resource_lag_alarm{'));

    group.start();
    group.setRole('master');
    driver.monitorResult = { healthy: true, gauges: { lag_seconds: 0, lag_bytes: 0 } };
    await run(time, 2000);
    assert.equal(group.status()[0]?.lagAlarm?.raised, false);
    assert.equal(await metric(), 'hotstandby_resource_lag_alarm{resource="files",kind="fake"} 0');

    driver.monitorResult = { healthy: true, gauges: { lag_seconds: 3, lag_bytes: 4096, queue_depth: 7 } };
    await run(time, 3000);
    assert.equal(alarms.length, 1, JSON.stringify(alarms));
    assert.equal(alarms[0]?.alarm, 'raised');
    assert.deepEqual(alarms[0]?.gauges, { lag_seconds: 3, lag_bytes: 4096 });
    const status = group.status()[0]!;
    assert.equal(status.lagAlarm?.raised, true);
    assert.match(formatResources([status]), /LAG ALARM: replication lag over the threshold/);
    assert.equal(await metric(), 'hotstandby_resource_lag_alarm{resource="files",kind="fake"} 1');

    driver.monitorResult = { healthy: true, gauges: { lag_seconds: 0, lag_bytes: 0 } };
    await run(time, 3000);
    assert.deepEqual(alarms.map((a) => a.alarm), ['raised', 'cleared']);
    assert.equal(group.status()[0]?.lagAlarm?.raised, false);

    driver.monitorResult = { healthy: true, gauges: { lag_seconds: 30 } };
    await run(time, 3000);
    assert.deepEqual(alarms.map((a) => a.alarm), ['raised', 'cleared', 'raised']);
    await Promise.all([group.stop(), run(time, 2000)]);
    assert.deepEqual(alarms.map((a) => a.alarm), ['raised', 'cleared', 'raised', 'cleared'], 'stopping the resource clears its alarm');
    assert.match(alarms[3]?.message ?? '', /no longer measured/);
  });

  it('no lagAlarm: no status entry, no metric line, no events', async () => {
    const time = new FakeTime();
    const driver = new FakeDriver('files', time, []);
    const alarms: LagAlarmEvent[] = [];
    const rec = groupDeps(time, new FakeGate());
    const group = new ResourceGroup('instance VI_1', [{ config: resourceConfig('files', { monitorIntervalMs: 500 }), driver, log: quietLog }], { ...rec.deps, onLagAlarm: (e) => alarms.push(e) });
    driver.monitorResult = { healthy: true, gauges: { lag_seconds: 1000 } };
    group.start();
    group.setRole('master');
    await run(time, 5000);
    assert.equal(group.status()[0]?.lagAlarm, undefined);
    assert.deepEqual(alarms, []);
    await Promise.all([group.stop(), run(time, 2000)]);
  });
});
