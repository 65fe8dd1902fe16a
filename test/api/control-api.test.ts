/**
 * Every route of the control API and every error status, by injected requests against a fake
 * DaemonControl (no socket).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createControlApi, type ControlApi } from '../../src/api/control-api.js';
import { ConflictError } from '../../src/api/daemon-control.js';
import { ConfigError } from '../../src/config/config-error.js';
import type { HotstandbyConfig } from '../../src/config/model.js';
import type { LogLevel, Logger } from '../../src/ports/index.js';
import { populatedControl, type FakeDaemonControl } from './fake-control.js';
import { inject } from './inject.js';

interface Logged {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | undefined;
}

function setup(): { control: FakeDaemonControl; api: ControlApi; logged: Logged[] } {
  const control = populatedControl();
  const logged: Logged[] = [];
  const log: Logger = {
    log: (level, message, fields) => logged.push({ level, message, fields }),
    child: () => log,
  };
  const api = createControlApi(control, { log, metrics: { defaultMetrics: false }, bodyLimit: 1024 });
  return { control, api, logged };
}

test('GET /v1/status answers the daemon status unchanged', async () => {
  const { control, api } = setup();
  const res = await inject(api, { url: '/v1/status' });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.deepEqual(res.json(), JSON.parse(JSON.stringify(control.status())));
});

test('GET /v1/instances explains each priority by the checks that move it', async () => {
  const { api } = setup();
  const res = await inject(api, { url: '/v1/instances' });
  assert.equal(res.status, 200);
  const { instances } = res.json();
  assert.deepEqual(
    instances.map((i: { name: string }) => i.name),
    ['web', 'db'],
  );
  const web = instances[0];
  assert.deepEqual(web.priority, {
    configured: 150,
    effective: 130,
    checks: [
      { check: 'chk_haproxy', weight: 0, healthy: true, contribution: 0, faults: false },
      { check: 'chk_api', weight: -20, healthy: false, contribution: -20, faults: false },
    ],
    interfaces: [],
    offsets: {},
  });
  assert.equal(web.state, 'MASTER');
  assert.equal(web.masterAddress, '192.0.2.1');
  assert.deepEqual(web.lastTransition, { instance: 'web', time: '2025-01-01T00:00:01.000Z', from: 'INIT', to: 'BACKUP', reason: 'startup' });
  assert.equal(web.counters.advertsSent, 40);
  assert.equal(web.counters.advertsReceived, 2);
  assert.equal(web.counters.transitions, 2);
  assert.equal(web.counters.garpsSent, 10);
  assert.deepEqual([web.counters.vipClaims, web.counters.vipDefences], [7, 2]);
  assert.equal(web.counters.drops['auth-password'], 3);
  assert.equal(web.maintenance, null, 'the fake daemon has not said');
});

test('GET /v1/instances/NAME: one instance; an unknown name is 404 naming it; escapes are decoded', async () => {
  const { control, api } = setup();
  const res = await inject(api, { url: '/v1/instances/db' });
  assert.equal(res.status, 200);
  assert.equal(res.json().vrid, 52);
  assert.deepEqual(res.json().priority.checks, [{ check: 'chk_haproxy', weight: 0, healthy: true, contribution: 0, faults: false }]);

  const missing = await inject(api, { url: '/v1/instances/nope' });
  assert.equal(missing.status, 404);
  assert.match(missing.json().error, /No instance named 'nope'/);

  control.instances[1] = { ...(control.instances[1] as (typeof control.instances)[number]), name: 'db main' };
  assert.equal((await inject(api, { url: '/v1/instances/db%20main' })).status, 200);
  const badEscape = await inject(api, { url: '/v1/instances/%E0%A4%A' });
  assert.equal(badEscape.status, 400);
  assert.match(badEscape.json().error, /percent-encoding/);
});

test('a failed weight-0 check shows as holding the instance in FAULT', async () => {
  const { control, api } = setup();
  (control.checkList[0] as { healthy: boolean }).healthy = false;
  const res = await inject(api, { url: '/v1/instances/db' });
  assert.deepEqual(res.json().priority.checks, [{ check: 'chk_haproxy', weight: 0, healthy: false, contribution: 0, faults: true }]);
});

test('GET /v1/checks lists the checks as the daemon reports them', async () => {
  const { control, api } = setup();
  const res = await inject(api, { url: '/v1/checks' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { checks: control.checkList });
});

test('GET /v1/events returns kept events, after ?since when given; a bad since is 400', async () => {
  const { api } = setup();
  const all = await inject(api, { url: '/v1/events' });
  assert.deepEqual(
    all.json().events.map((e: { seq: number }) => e.seq),
    [1, 2, 3],
  );
  const after = await inject(api, { url: '/v1/events?since=2' });
  assert.deepEqual(after.json().events.map((e: { message: string }) => e.message), ['chk_api failed']);
  for (const since of ['abc', '-1', '1.5']) {
    const bad = await inject(api, { url: `/v1/events?since=${since}` });
    assert.equal(bad.status, 400, since);
    assert.match(bad.json().error, /since must be a non-negative integer/);
  }
});

test('GET /v1/config shows the running configuration with secrets redacted', async () => {
  const { control, api } = setup();
  control.configValue = {
    global: { routerId: 'lb1' },
    instances: [{ name: 'web', authPass: 's3cret' }],
    checks: [{ name: 'chk', kind: 'http', url: 'https://ops:hunter2@192.0.2.5/health' }],
    syncGroups: [],
  } as unknown as HotstandbyConfig;
  const res = await inject(api, { url: '/v1/config' });
  assert.equal(res.status, 200);
  const { config } = res.json();
  assert.equal(config.global.routerId, 'lb1');
  assert.equal(config.instances[0].authPass, '<redacted>');
  assert.equal(config.checks[0].url, 'https://ops:redacted@192.0.2.5/health');
  assert.doesNotMatch(res.text, /s3cret|hunter2/);
});

test('POST /v1/reload: 200 with the result; 422 for an invalid file; 409 on conflict; 500 logged on a failure', async () => {
  const { control, api, logged } = setup();
  control.reloadAnswer = async () => ({ ok: true, message: 'Reloaded', changes: ['instance web: priority 150 -> 160'] });
  const ok = await inject(api, { method: 'POST', url: '/v1/reload' });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json(), { ok: true, message: 'Reloaded', changes: ['instance web: priority 150 -> 160'] });

  control.reloadAnswer = async () => ({ ok: false, message: '/etc/hs.yaml:3: vrid: Virtual router id 300 is out of range', changes: [] });
  const invalid = await inject(api, { method: 'POST', url: '/v1/reload' });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.json().error, '/etc/hs.yaml:3: vrid: Virtual router id 300 is out of range');
  assert.equal(invalid.json().ok, false);

  control.reloadAnswer = async () => {
    throw new ConfigError('Unknown key "priorty"', { file: '/etc/hs.yaml', line: 7 }, 'instances.web.priorty');
  };
  const thrownConfig = await inject(api, { method: 'POST', url: '/v1/reload' });
  assert.equal(thrownConfig.status, 422);
  assert.equal(thrownConfig.json().error, '/etc/hs.yaml:7: instances.web.priorty: Unknown key "priorty"');

  control.reloadAnswer = async () => {
    throw new ConflictError('The daemon is stopping');
  };
  const conflict = await inject(api, { method: 'POST', url: '/v1/reload' });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.json().error, 'The daemon is stopping');

  assert.equal(logged.length, 0, 'refusals are not internal errors');
  control.reloadAnswer = async () => {
    throw new Error('netlink went away');
  };
  const failed = await inject(api, { method: 'POST', url: '/v1/reload' });
  assert.equal(failed.status, 500);
  assert.equal(failed.json().error, 'Internal error: netlink went away');
  assert.equal(logged.length, 1);
  assert.equal(logged[0]?.level, 'error');
  assert.match(String(logged[0]?.fields?.error), /netlink went away/);
});

test('POST /v1/instances/NAME/maintenance switches with {"on": bool} and rejects anything else', async () => {
  const { control, api } = setup();
  const on = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true } });
  assert.equal(on.status, 200);
  assert.deepEqual(on.json(), { instance: 'web', maintenance: true });
  const off = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: false } });
  assert.equal(off.status, 200);
  assert.deepEqual(control.maintenanceCalls, [
    ['web', true],
    ['web', false],
  ]);

  const cases: Array<{ body: unknown; status: number; error: RegExp }> = [
    { body: undefined, status: 400, error: /JSON object like \{"on": true\}/ },
    { body: '{"on": tru', status: 400, error: /not valid JSON/ },
    { body: { on: 'yes' }, status: 400, error: /"on" must be true or false, got "yes"/ },
    { body: {}, status: 400, error: /"on" must be true or false, got nothing/ },
    { body: [true], status: 400, error: /JSON object/ },
    { body: { on: true, pad: 'x'.repeat(2000) }, status: 413, error: /larger than 1024 bytes/ },
  ];
  for (const c of cases) {
    const res = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: c.body });
    assert.equal(res.status, c.status, JSON.stringify(c.body)?.slice(0, 40));
    assert.match(res.json().error, c.error);
  }
  assert.equal(control.maintenanceCalls.length, 2, 'no refused request reached the daemon');

  const unknown = await inject(api, { method: 'POST', url: '/v1/instances/nope/maintenance', body: { on: true } });
  assert.equal(unknown.status, 404);
  assert.match(unknown.json().error, /'nope'/);

  control.maintenanceError = new ConflictError('The peer did not take over within 10 s');
  const conflict = await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true } });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.json().error, 'The peer did not take over within 10 s');
});

test('POST /v1/instances/NAME/garp sends a burst; unknown instance 404, refusal 409', async () => {
  const { control, api } = setup();
  const sent = await inject(api, { method: 'POST', url: '/v1/instances/web/garp' });
  assert.equal(sent.status, 200);
  assert.deepEqual(sent.json(), { instance: 'web', garp: 'sent' });
  assert.deepEqual(control.garpCalls, ['web']);
  assert.equal((await inject(api, { method: 'POST', url: '/v1/instances/nope/garp' })).status, 404);
  control.garpError = new ConflictError('Instance "db" is not master');
  const refused = await inject(api, { method: 'POST', url: '/v1/instances/db/garp' });
  assert.equal(refused.status, 409);
  assert.equal(refused.json().error, 'Instance "db" is not master');
});

test('GET /metrics answers Prometheus text', async () => {
  const { api } = setup();
  const res = await inject(api, { url: '/metrics' });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(res.text, /^hotstandby_instance_state\{instance="web",state="MASTER"\} 1$/m);
});

test('a known path with the wrong method is 405 with Allow; an unknown path is 404', async () => {
  const { api } = setup();
  const cases: Array<[string, string, string]> = [
    ['POST', '/v1/status', 'GET'],
    ['GET', '/v1/reload', 'POST'],
    ['DELETE', '/v1/instances/web', 'GET'],
    ['GET', '/v1/instances/web/maintenance', 'POST'],
    ['PUT', '/metrics', 'GET'],
  ];
  for (const [method, url, allow] of cases) {
    const res = await inject(api, { method, url });
    assert.equal(res.status, 405, `${method} ${url}`);
    assert.equal(res.headers.allow, allow);
    assert.match(res.json().error, new RegExp(`Method ${method} is not allowed`));
  }
  for (const url of ['/', '/v2/status', '/v1/instances/web/nothing', '/v1//status']) {
    const res = await inject(api, { url });
    assert.equal(res.status, 404, url);
    assert.match(res.json().error, /No such resource/);
  }
  assert.equal((await inject(api, { url: '/v1/instances/' })).status, 200, 'a trailing slash names the same resource');
  const absolute = await inject(api, { url: 'http://elsewhere/v1/status' });
  assert.equal(absolute.status, 400);
});

test('an exception inside the daemon is a 500 with its message, logged, and the API keeps serving', async () => {
  const { control, api, logged } = setup();
  control.statusError = new TypeError('Cannot read properties of undefined');
  const res = await inject(api, { url: '/v1/status' });
  assert.equal(res.status, 500);
  assert.equal(res.json().error, 'Internal error: Cannot read properties of undefined');
  assert.equal(logged[0]?.message, 'control API request failed');
  assert.equal(logged[0]?.fields?.url, '/v1/status');
  control.statusError = undefined;
  assert.equal((await inject(api, { url: '/v1/status' })).status, 200);
});
