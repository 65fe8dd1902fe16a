/**
 * The dashboard's routes by injected requests: the page and its tiles from the API's data, the
 * security headers, the static files, the empty places for later subsystems, and the effect
 * sentences the confirmations show.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createControlApi } from '../../src/api/control-api.js';
import { instanceDetail } from '../../src/api/instance-view.js';
import { garpEffect, maintenanceEffect } from '../../src/ui/effects.js';
import { dashboardRoutes } from '../../src/ui/routes.js';
import { fakeInstance, populatedControl } from '../api/fake-control.js';
import { inject } from '../api/inject.js';

function setup() {
  const control = populatedControl();
  const api = createControlApi(control, { routes: dashboardRoutes(control, { node: 'lb1' }), metrics: { defaultMetrics: false } });
  return { control, api };
}

const CSP = /default-src 'none'; script-src 'self'; style-src 'self'/;

test('GET / and /ui/ render the page with every instance, its state, priority and VIPs', async () => {
  const { api } = setup();
  for (const url of ['/', '/ui/', '/ui']) {
    const res = await inject(api, { url });
    assert.equal(res.status, 200, url);
    assert.match(res.headers['content-type'] ?? '', /^text\/html; charset=utf-8/);
    assert.match(res.text, /<title>hotstandby · lb1<\/title>/);
    assert.match(res.text, /data-instance="web" data-state="MASTER"/);
    assert.match(res.text, /data-instance="db" data-state="BACKUP"/);
    assert.match(res.text, /configured 150, effective <strong>130<\/strong>/);
    assert.match(res.text, /check chk_api: failed, weight -20 \(-20 now\)/);
    assert.match(res.text, /192\.0\.2\.10\/32: <span class="holder">held here/);
    assert.match(res.text, /198\.51\.100\.20\/24: <span class="holder">held by 192\.0\.2\.2/);
  }
});

test('every dashboard answer carries a strict CSP with no inline script or style, and the page has none', async () => {
  const { api } = setup();
  for (const url of ['/', '/ui/fragments/instances', '/ui/assets/style.css', '/ui/assets/dashboard.js']) {
    const res = await inject(api, { url });
    assert.equal(res.status, 200, url);
    assert.match(res.headers['content-security-policy'] ?? '', CSP, url);
    assert.doesNotMatch(res.headers['content-security-policy'] ?? '', /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
  }
  const page = (await inject(api, { url: '/' })).text;
  assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
  assert.doesNotMatch(page, /<style|\sstyle=|\son[a-z]+=/, 'no inline style or event handler attributes');
});

test('the browser modules and the stylesheet are served with their content types; other names are 404', async () => {
  const { api } = setup();
  const js = await inject(api, { url: '/ui/assets/dashboard.js' });
  assert.match(js.headers['content-type'] ?? '', /^text\/javascript/);
  assert.match(js.text, /EventSource/);
  assert.match((await inject(api, { url: '/ui/assets/login.js' })).text, /\/ui\/login/);
  assert.match((await inject(api, { url: '/ui/assets/style.css' })).headers['content-type'] ?? '', /^text\/css/);
  for (const name of ['..%2F..%2Fpackage.json', 'nope.js', 'dashboard.ts', '.hidden.js', 'x.js.map']) {
    const res = await inject(api, { url: `/ui/assets/${name}` });
    assert.equal(res.status, 404, name);
    assert.match(res.json().error, /No such dashboard file/);
  }
});

test('names from the configuration are escaped, never markup', async () => {
  const { control, api } = setup();
  control.instances.push(fakeInstance('<img src=x onerror=alert(1)>', { masterAddress: '"><script>' }));
  const res = await inject(api, { url: '/ui/fragments/instances' });
  assert.equal(res.status, 200);
  assert.doesNotMatch(res.text, /<img src=x|"><script>/);
  assert.match(res.text, /&#60;img src=x onerror=alert\(1\)&#62;/);
});

test('the fragment holds the tiles alone, and each tile says how fresh it is', async () => {
  const { api } = setup();
  const res = await inject(api, { url: '/ui/fragments/instances' });
  assert.doesNotMatch(res.text, /<html|<head>/);
  assert.equal(res.text.match(/<article class="tile/g)?.length, 2);
  assert.equal(res.text.match(/as of <span class="age">/g)?.length, 2);
});

test('without backup jobs the Backups section is a marked empty place saying how to configure them (resources: resources-view.test.ts)', async () => {
  const { api } = setup();
  const page = (await inject(api, { url: '/' })).text;
  for (const id of ['backups']) {
    assert.match(page, new RegExp(`<section id="${id}" class="placeholder" data-placeholder="${id}"`));
  }
  assert.equal(page.match(/No backup jobs are configured on this node/g)?.length, 1);
});

test('on the unix socket the page offers the actions with their effect and no log out; /ui/login goes to the page', async () => {
  const { api } = setup();
  const page = (await inject(api, { url: '/' })).text;
  assert.match(page, /data-action="maintenance" data-instance="web" data-on="true"/);
  assert.match(page, /data-action="garp" data-instance="web"/);
  assert.doesNotMatch(page, /data-action="garp" data-instance="db"/, 'only a master announces');
  assert.match(page, /data-action="reload"/);
  assert.doesNotMatch(page, /id="logout"/);
  const login = await inject(api, { url: '/ui/login' });
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/ui/');
});

test('the confirmation states which node loses which VIP to whom', () => {
  const master = instanceDetail(fakeInstance('web', { state: 'MASTER', vips: ['10.0.0.100/32'] }), []);
  assert.equal(
    maintenanceEffect({ ...master, peers: ['10.0.0.2'] }, true),
    'web on this node will lose the VIP 10.0.0.100 to 10.0.0.2, and stay backup until maintenance is turned off.',
  );
  assert.match(maintenanceEffect(master, true), /will lose the VIP 10\.0\.0\.100 to the backup with the highest priority/);
  const backup = instanceDetail(fakeInstance('web', { state: 'BACKUP', vips: ['10.0.0.100/32', '10.0.0.101/32'], masterAddress: '10.0.0.2' }), []);
  assert.match(maintenanceEffect(backup, true), /is BACKUP and holds no VIP; it will not take the VIPs 10\.0\.0\.100, 10\.0\.0\.101 over even if the master \(now 10\.0\.0\.2\) fails/);
  assert.match(maintenanceEffect(backup, false), /leaves maintenance and returns to the election with priority 100/);
  assert.match(garpEffect(master), /web on this node sends one gratuitous ARP \/ NA burst for the VIP 10\.0\.0\.100/);
});

test('actions through the API name their actor: the socket, with what the client says of itself', async () => {
  const { control, api } = setup();
  assert.equal((await inject(api, { method: 'POST', url: '/v1/instances/web/maintenance', body: { on: true } })).status, 200);
  assert.equal((await inject(api, { method: 'POST', url: '/v1/instances/web/garp', body: { actor: 'alice' } })).status, 200);
  assert.equal((await inject(api, { method: 'POST', url: '/v1/reload', body: { actor: 'bob@ops' } })).status, 200);
  assert.deepEqual(control.actors, ['control socket', 'control socket (alice)', 'control socket (bob@ops)']);
  const bad = await inject(api, { method: 'POST', url: '/v1/reload', body: { actor: 'x\ny' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json().error, /"actor" must be a name/);
});

test('bad input to the dashboard routes is a clear 4xx', async () => {
  const { api } = setup();
  assert.equal((await inject(api, { method: 'POST', url: '/ui/' })).status, 405);
  assert.equal((await inject(api, { url: '/ui/nope' })).status, 404);
  assert.equal((await inject(api, { url: '/ui/assets/%E0%A4%A' })).status, 400);
  assert.equal((await inject(api, { method: 'DELETE', url: '/ui/fragments/instances' })).status, 405);
});
