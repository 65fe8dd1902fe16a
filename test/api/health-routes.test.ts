import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createControlApi } from '../../src/api/control-api.js';
import { healthRoutes } from '../../src/api/health-routes.js';
import type { PostgresqlHealthView } from '../../src/resources/postgresql/health.js';
import { FakeDaemonControl } from './fake-control.js';
import { inject } from './inject.js';

const primary: PostgresqlHealthView = { resource: 'db', primary: true, replica: false, streaming: false, timeline: 3, observedAt: 1_000, detail: 'primary on timeline 3' };
const replica: PostgresqlHealthView = { resource: 'db', primary: false, replica: true, streaming: true, lagBytes: 2048, timeline: 3, observedAt: 1_000, detail: 'standby' };

function api(views: PostgresqlHealthView[], now = 1_500) {
  return createControlApi(new FakeDaemonControl(), { metrics: { defaultMetrics: false }, routes: healthRoutes(() => views, { now: () => now }) });
}

describe('health routes (Patroni convention)', () => {
  it('GET /v1/health/primary answers 200 on the primary and 503 on a replica', async () => {
    const ok = await inject(api([primary]), { url: '/v1/health/primary' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json().resources[0].role, 'primary');
    const no = await inject(api([replica]), { url: '/v1/health/primary' });
    assert.equal(no.status, 503);
    assert.equal(no.json().resources[0].role, 'replica');
  });

  it('GET /v1/health/replica honours max_lag in bytes or with a unit', async () => {
    assert.equal((await inject(api([replica]), { url: '/v1/health/replica' })).status, 200);
    assert.equal((await inject(api([replica]), { url: '/v1/health/replica?max_lag=4kB' })).status, 200);
    const behind = await inject(api([replica]), { url: '/v1/health/replica?max_lag=1024' });
    assert.equal(behind.status, 503);
    assert.match(behind.json().resources[0].reason, /2048 bytes behind/);
    assert.equal((await inject(api([primary]), { url: '/v1/health/replica' })).status, 503);
  });

  it('a stale observation, no resource, or a bad max_lag is not a 200', async () => {
    assert.equal((await inject(api([primary], 60_000), { url: '/v1/health/primary' })).status, 503);
    const none = await inject(api([]), { url: '/v1/health/primary' });
    assert.equal(none.status, 503);
    assert.match(none.json().reason, /no postgresql resource/);
    const bad = await inject(api([replica]), { url: '/v1/health/replica?max_lag=lots' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error, /max_lag must be a number/);
  });

  it('a replica that does not stream fails a max_lag check', async () => {
    const stalled = { ...replica, streaming: false };
    assert.equal((await inject(api([stalled]), { url: '/v1/health/replica?max_lag=16MB' })).status, 503);
  });
});
