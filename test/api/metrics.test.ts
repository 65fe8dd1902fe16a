/**
 * The Prometheus exposition: the expected series with the daemon's values read at scrape time,
 * and nothing left behind in prom-client's global registry.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { createMetricsRegistry } from '../../src/api/metrics.js';
import { populatedControl } from './fake-control.js';

/** The value of one series line, e.g. `hotstandby_x{instance="web"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('per-instance series carry the daemon values at scrape time', async () => {
  const control = populatedControl();
  const registry = createMetricsRegistry(control, { defaultMetrics: false });
  const text = await registry.metrics();

  assert.equal(sample(text, 'hotstandby_instance_state{instance="web",state="MASTER"}'), 1);
  assert.equal(sample(text, 'hotstandby_instance_state{instance="web",state="BACKUP"}'), 0);
  assert.equal(sample(text, 'hotstandby_instance_state{instance="db",state="BACKUP"}'), 1);
  assert.equal(sample(text, 'hotstandby_instance_state{instance="db",state="FAULT"}'), 0);
  assert.equal(sample(text, 'hotstandby_instance_priority{instance="web"}'), 150);
  assert.equal(sample(text, 'hotstandby_instance_effective_priority{instance="web"}'), 130);
  assert.equal(sample(text, 'hotstandby_instance_transitions_total{instance="web"}'), 2);
  assert.equal(sample(text, 'hotstandby_adverts_sent_total{instance="web"}'), 40);
  assert.equal(sample(text, 'hotstandby_adverts_received_total{instance="web"}'), 2);
  assert.equal(sample(text, 'hotstandby_advert_send_failures_total{instance="web"}'), 1);
  assert.equal(sample(text, 'hotstandby_garps_sent_total{instance="web"}'), 10);
  assert.equal(sample(text, 'hotstandby_vip_claims_total{instance="web"}'), 7);
  assert.equal(sample(text, 'hotstandby_vip_defences_total{instance="web"}'), 2);
  assert.equal(sample(text, 'hotstandby_adverts_dropped_total{instance="web",reason="auth-password"}'), 3);
  assert.equal(sample(text, 'hotstandby_adverts_dropped_total{instance="web",reason="ttl"}'), 1);
  assert.equal(sample(text, 'hotstandby_adverts_dropped_total{instance="db",reason="checksum"}'), 0);
  assert.equal(sample(text, 'hotstandby_instance_info{instance="db",vrid="52",interface="eth1",family="ipv4",version="3"}'), 1);
  assert.equal(sample(text, 'hotstandby_check_healthy{check="chk_api",kind="http"}'), 0);
  assert.equal(sample(text, 'hotstandby_check_healthy{check="chk_haproxy",kind="exec"}'), 1);
  assert.equal(sample(text, 'hotstandby_check_last_probe_ok{check="chk_api"}'), 0);
  assert.equal(sample(text, 'hotstandby_check_latency_seconds{check="chk_api"}'), 0.25);
  assert.equal(sample(text, 'hotstandby_start_time_seconds'), Date.parse('2025-01-01T00:00:00.000Z') / 1000);
  assert.match(text, /^# TYPE hotstandby_adverts_sent_total counter$/m);
  assert.match(text, /^# TYPE hotstandby_instance_state gauge$/m);
  assert.equal(sample(text, 'hotstandby_instance_maintenance{instance="web"}'), undefined, 'not reported by this daemon');
});

test('values follow the daemon between scrapes; removed instances disappear', async () => {
  const control = populatedControl();
  const registry = createMetricsRegistry(control, { defaultMetrics: false });
  await registry.metrics();
  const web = control.instances[0] as (typeof control.instances)[number];
  web.counters.advertsSent = 41;
  web.state = 'FAULT';
  web.maintenance = true;
  control.instances = [web];
  control.unmatchedDrops = { 'eth0/ipv4': { ...web.drops, vrid: 7 } };
  const text = await registry.metrics();
  assert.equal(sample(text, 'hotstandby_adverts_sent_total{instance="web"}'), 41);
  assert.equal(sample(text, 'hotstandby_instance_state{instance="web",state="FAULT"}'), 1);
  assert.equal(sample(text, 'hotstandby_instance_state{instance="web",state="MASTER"}'), 0);
  assert.equal(sample(text, 'hotstandby_instance_maintenance{instance="web"}'), 1);
  assert.equal(sample(text, 'hotstandby_unmatched_adverts_dropped_total{interface="eth0/ipv4",reason="vrid"}'), 7);
  assert.doesNotMatch(text, /instance="db"/);
});

test('default metrics (event-loop lag, process) go into the daemon registry, not the global one', async () => {
  const before = (await globalRegistry.metrics()).length;
  const registry = createMetricsRegistry(populatedControl(), { defaultMetrics: true });
  const text = await registry.metrics();
  assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
  assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
  assert.match(text, /^process_resident_memory_bytes \d/m);
  assert.equal((await globalRegistry.metrics()).length, before);
  // A second daemon registry in the same process must not clash over metric names.
  const other = createMetricsRegistry(populatedControl(), { defaultMetrics: true });
  assert.match(await other.metrics(), /^hotstandby_instance_priority\{instance="web"\} 150$/m);
});
