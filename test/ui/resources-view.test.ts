/**
 * The Resources section by injected requests, from a fake resources view: each resource's kind,
 * phase, last operation with its result and duration, monitor health, eligibility (a veto with
 * its reason), hold, gauges; the lag sparklines and the conflicts count; the fragment the page
 * refreshes from; escaping; and the empty section when no resource is configured.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createControlApi } from '../../src/api/control-api.js';
import type { ResourceStatus } from '../../src/resources/group.js';
import { formatGauge } from '../../src/ui/resources-view.js';
import { dashboardRoutes } from '../../src/ui/routes.js';
import { populatedControl } from '../api/fake-control.js';
import { inject } from '../api/inject.js';

function resource(name: string, overrides: Partial<ResourceStatus> = {}): ResourceStatus {
  return {
    name,
    kind: 'exec',
    follows: 'instance web',
    role: 'master',
    phase: 'active',
    lastOperation: { operation: 'promote', result: 'ok', durationMs: 120.4, at: 0, agoMs: 3200 },
    healthy: true,
    lastMonitorAgoMs: 800,
    eligibility: { eligible: true },
    gauges: {},
    vip: 'after-promote',
    operations: { 'start:ok': 1, 'promote:ok': 1 },
    ...overrides,
  };
}

const RESOURCES: ResourceStatus[] = [
  resource('app'),
  resource('pg', {
    kind: 'postgresql',
    role: 'backup',
    phase: 'standby',
    lastOperation: { operation: 'start', result: 'ok', durationMs: 900, at: 0, agoMs: 60_000 },
    eligibility: { eligible: false, reason: 'timeline 3 behind 4' },
    gauges: { lag_seconds: 1.25, lag_bytes: 3 * 1024 * 1024, queue_depth: 2 },
  }),
  resource('files', {
    kind: 'directory',
    phase: 'partial',
    lastOperation: { operation: 'promote', result: 'failed', durationMs: 2000, at: 0, agoMs: 1500, error: 'exit status 3: peer unreachable' },
    healthy: false,
    monitorDetail: 'exit status 1',
    hold: { reason: 'promote failed', remainingMs: 2500 },
    gauges: { conflicts: 2, lag_seconds: 0 },
  }),
  resource('quiet', { phase: 'down', role: 'stopped', healthy: null, eligibility: null, gauges: { conflicts: 0 } }),
];

function setup(resources: ResourceStatus[] | undefined) {
  const control = populatedControl();
  const status = control.status.bind(control);
  control.status = () => ({ ...status(), ...(resources ? { resources } : {}) });
  const api = createControlApi(control, { routes: dashboardRoutes(control, { node: 'lb1' }), metrics: { defaultMetrics: false } });
  return { control, api };
}

/** The tile of resource `name` in `text`. */
function tile(text: string, name: string): string {
  const match = new RegExp(`<article class="[^"]*" data-resource="${name}"[\\s\\S]*?</article>`).exec(text);
  assert.ok(match, `a tile for ${name}`);
  return match[0];
}

test('the page has a Resources section with one tile per resource: kind, phase, last operation, monitor, eligibility', async () => {
  const { api } = setup(RESOURCES);
  const page = (await inject(api, { url: '/' })).text;
  assert.match(page, /<section id="resources" aria-labelledby="resources-title">/);
  assert.doesNotMatch(page, /data-placeholder="resources"|data-placeholder="replication"/, 'no longer an empty place');
  assert.match(page, /<script type="module" src="\/ui\/assets\/resources\.js"><\/script>/);
  assert.equal(page.match(/<article class="resource-tile/g)?.length, 4);

  const app = tile(page, 'app');
  assert.match(app, /data-kind="exec" data-phase="active" data-role="master"/);
  assert.match(app, /<span class="phase">active \(promoted\)<\/span>/);
  assert.match(app, /instance web, driven to master/);
  assert.match(app, /data-result="ok">promote <span class="result">succeeded<\/span> in 120 ms, 3\.2 s ago/);
  assert.match(app, /data-healthy="true">healthy \(0\.8 s ago\)/);
  assert.match(app, /<dd class="eligibility">yes<\/dd>/);
  assert.doesNotMatch(app, /Gauges|Conflicts|Held/);

  const pg = tile(page, 'pg');
  assert.match(pg, /class="resource-tile phase-standby vetoed"/);
  assert.match(pg, /<dd class="eligibility bad">no, vetoes mastership: <span class="veto">timeline 3 behind 4<\/span>/);
  assert.match(pg, /start <span class="result">succeeded<\/span> in 900 ms, 60 s ago/);

  const quiet = tile(page, 'quiet');
  assert.match(quiet, /down \(stopped\)/);
  assert.match(quiet, /data-healthy="">not monitored yet/);
  assert.match(quiet, /<dd class="eligibility">not known yet/);
});

test('a failed operation is shown with its result, error and the hold it causes', async () => {
  const { api } = setup(RESOURCES);
  const files = tile((await inject(api, { url: '/ui/fragments/resources' })).text, 'files');
  assert.match(files, /class="resource-tile phase-partial op-failed has-conflicts"/);
  assert.match(files, /partial \(a promote failed\)/);
  assert.match(files, /<dd class="last-op bad" data-result="failed">promote <span class="result">failed<\/span> in 2000 ms, 1\.5 s ago: <span class="op-error">exit status 3: peer unreachable<\/span>/);
  assert.match(files, /<dd class="monitor bad" data-healthy="false">failed: exit status 1/);
  assert.match(files, /<dd class="hold bad">FAULT: promote failed \(retry in 2\.5 s\)/);
});

test('lag_* gauges get a sparkline with their current value; other gauges are listed; conflicts are highlighted above 0', async () => {
  const { api } = setup(RESOURCES);
  const text = (await inject(api, { url: '/ui/fragments/resources' })).text;
  const pg = tile(text, 'pg');
  assert.match(pg, /<span class="gauge-name">lag_bytes<\/span> <span class="gauge-value">3\.0 MiB<\/span><svg class="spark" data-series="pg\/lag_bytes" data-value="3145728"/);
  assert.match(pg, /<span class="gauge-name">lag_seconds<\/span> <span class="gauge-value">1\.25 s<\/span><svg class="spark" data-series="pg\/lag_seconds" data-value="1\.25"/);
  assert.match(pg, /<span class="gauge-name">queue_depth<\/span> <span class="gauge-value">2<\/span><\/li>/, 'no chart for a gauge that is not lag_*');
  assert.equal(pg.match(/<svg class="spark"/g)?.length, 2);
  assert.doesNotMatch(pg, /Conflicts/, 'no conflicts gauge, no conflicts row');
  assert.match(tile(text, 'files'), /<dd class="conflicts bad" data-conflicts="2">2<\/dd>/);
  assert.match(tile(text, 'quiet'), /<dd class="conflicts" data-conflicts="0">0<\/dd>/);
  assert.doesNotMatch(tile(text, 'files'), /data-gauge="conflicts"/, 'conflicts is its own row, not a gauge line');
  // No inline style on the charts: the CSP forbids it; the stylesheet draws them.
  assert.doesNotMatch(text, /\sstyle=|<style/);
  const css = (await inject(api, { url: '/ui/assets/style.css' })).text;
  assert.match(css, /svg\.spark polyline \{/);
});

test('the fragment holds the resource tiles alone, each saying how fresh it is; the module is served', async () => {
  const { api } = setup(RESOURCES);
  const res = await inject(api, { url: '/ui/fragments/resources' });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-security-policy'] ?? '', /script-src 'self'/);
  assert.doesNotMatch(res.text, /<html|<section/);
  assert.equal(res.text.match(/<article class="resource-tile/g)?.length, 4);
  assert.equal(res.text.match(/as of <span class="age">/g)?.length, 4);
  const js = await inject(api, { url: '/ui/assets/resources.js' });
  assert.equal(js.status, 200, 'the browser part is built (npm run build)');
  assert.match(js.text, /\/ui\/fragments\/resources/);
  assert.match(js.text, /polyline/);
});

test('with no resources the section says so; names and messages are escaped', async () => {
  for (const resources of [undefined, []]) {
    const { api } = setup(resources);
    assert.match((await inject(api, { url: '/' })).text, /<div id="resource-tiles"><p class="empty">No resources are configured on this node\.<\/p><\/div>/);
    assert.match((await inject(api, { url: '/ui/fragments/resources' })).text, /^<p class="empty">No resources/);
  }
  const { api } = setup([
    resource('<b>x</b>', {
      eligibility: { eligible: false, reason: '<img src=x onerror=alert(1)>' },
      lastOperation: { operation: 'promote', result: 'failed', durationMs: 1, at: 0, agoMs: 1, error: '"><script>' },
    }),
  ]);
  const text = (await inject(api, { url: '/ui/fragments/resources' })).text;
  assert.doesNotMatch(text, /<b>x|<img|"><script>/);
  assert.match(text, /data-resource="&#60;b&#62;x&#60;\/b&#62;"/);
  assert.match(text, /&#60;img src=x onerror=alert\(1\)&#62;/);
});

test('gauge values are shown in the unit their name says', () => {
  assert.equal(formatGauge('lag_seconds', 0.1234), '0.123 s');
  assert.equal(formatGauge('lag_bytes', 512), '512 B');
  assert.equal(formatGauge('lag_bytes', 1536), '1.5 KiB');
  assert.equal(formatGauge('lag_bytes', 5 * 1024 ** 3), '5.0 GiB');
  assert.equal(formatGauge('queue_depth', 7), '7');
});

test('a raised lag alarm marks the tile and says why; a clear one says so; the timeline styles replication-lag events', async () => {
  const { api } = setup([
    resource('www', { kind: 'directory', gauges: { lag_seconds: 7.5 }, lagAlarm: { raised: true, changedAgoMs: 4000, message: 'replication lag over the threshold for 10 s: lag 7.5 s (alarm above 5 s) <x>' } }),
    resource('db', { kind: 'postgresql', lagAlarm: { raised: false } }),
  ]);
  const text = (await inject(api, { url: '/ui/fragments/resources' })).text;
  const www = tile(text, 'www');
  assert.match(www, /class="resource-tile phase-active lag-alarm-raised"/);
  assert.match(www, /<dt>Lag alarm<\/dt><dd class="lag-alarm bad" data-raised="true">RAISED \(4\.0 s ago\): replication lag over the threshold for 10 s: lag 7\.5 s \(alarm above 5 s\) &#60;x&#62;<\/dd>/);
  assert.match(tile(text, 'db'), /<dd class="lag-alarm" data-raised="false">clear<\/dd>/);
  assert.doesNotMatch(tile(text, 'db'), /lag-alarm-raised/);
  const css = (await inject(api, { url: '/ui/assets/style.css' })).text;
  assert.match(css, /\.ev-replication-lag \.ev-type \{/);
  assert.match(css, /li\.ev-alarm \.ev-message/);
  assert.match(css, /\.resource-tile\.lag-alarm-raised \{/);
  const timeline = await inject(api, { url: '/ui/assets/timeline.js' });
  assert.equal(timeline.status, 200);
  assert.match(timeline.text, /ev-alarm/, 'a raised alarm is marked in the timeline');
});
