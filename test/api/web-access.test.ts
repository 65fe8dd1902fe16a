/**
 * Every rule of the TCP listener and the socket's browser guard, by injected requests: tokens
 * and roles, the login and its cookie, CSRF, Origin / Sec-Fetch-Site, Host, and secrets kept out
 * of /v1/config.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createControlApi } from '../../src/api/control-api.js';
import { Sessions } from '../../src/api/sessions.js';
import { hostName, listenerHosts, socketHostAllowed, withSocketGuard, withWebAccess } from '../../src/api/web-access.js';
import { dashboardRoutes } from '../../src/ui/routes.js';
import { populatedControl } from './fake-control.js';
import { inject } from './inject.js';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const HOST = '127.0.0.1:9180';
const ORIGIN = `http://${HOST}`;

function setup(now = { ms: 0 }) {
  const control = populatedControl();
  const api = createControlApi(control, { routes: dashboardRoutes(control, { node: 'lb1' }), metrics: { defaultMetrics: false } });
  const sessions = new Sessions({ now: () => now.ms, idleMs: 60_000 });
  const web = withWebAccess(api, { adminToken: ADMIN, readToken: READ, hosts: listenerHosts('127.0.0.1', ['lb1.example.net']), tls: false, sessions });
  return { control, web, sessions, now };
}

async function login(web: ReturnType<typeof setup>['web'], token: string) {
  const res = await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST, origin: ORIGIN, 'sec-fetch-site': 'same-origin' }, body: { token } });
  const cookie = (res.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  return { res, cookie };
}

/** The CSRF token the page of a session carries. */
async function csrfOf(web: ReturnType<typeof setup>['web'], cookie: string): Promise<string> {
  const page = await inject(web, { url: '/ui/', headers: { host: HOST, cookie } });
  const match = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text);
  assert.ok(match, 'the page carries the CSRF token');
  return match[1] as string;
}

function action(cookie: string, csrf: string | undefined, extra: Record<string, string> = {}) {
  return {
    method: 'POST',
    url: '/v1/instances/web/maintenance',
    headers: { host: HOST, origin: ORIGIN, 'sec-fetch-site': 'same-origin', cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}), ...extra },
    body: { on: true },
  };
}

test('TCP: no token is 401 for the API and a redirect to the login page for the dashboard; login page and modules are public', async () => {
  const { web } = setup();
  const api = await inject(web, { url: '/v1/status', headers: { host: HOST } });
  assert.equal(api.status, 401);
  assert.match(api.headers['www-authenticate'] ?? '', /^Bearer realm="hotstandby"/);
  for (const url of ['/', '/ui/']) {
    const page = await inject(web, { url, headers: { host: HOST } });
    assert.equal(page.status, 303, url);
    assert.equal(page.headers.location, '/ui/login');
  }
  const loginPage = await inject(web, { url: '/ui/login', headers: { host: HOST } });
  assert.equal(loginPage.status, 200);
  assert.match(loginPage.text, /id="login-form"/);
  assert.equal((await inject(web, { url: '/ui/assets/login.js', headers: { host: HOST } })).status, 200);
  assert.equal((await inject(web, { url: '/ui/fragments/instances', headers: { host: HOST } })).status, 401);
});

test('TCP: a wrong bearer token is 401 invalid_token; the read token reads but cannot act; the admin token acts and is named', async () => {
  const { web, control } = setup();
  const wrong = await inject(web, { url: '/v1/status', headers: { host: HOST, authorization: `Bearer ${ADMIN}x` } });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers['www-authenticate'] ?? '', /error="invalid_token"/);
  assert.equal((await inject(web, { url: '/v1/status', headers: { host: HOST, authorization: `Bearer ${READ}` } })).status, 200);
  const readAct = await inject(web, { method: 'POST', url: '/v1/reload', headers: { host: HOST, authorization: `Bearer ${READ}` } });
  assert.equal(readAct.status, 403);
  assert.match(readAct.json().error, /read token cannot act/);
  const adminAct = await inject(web, { method: 'POST', url: '/v1/instances/web/garp', headers: { host: HOST, authorization: `Bearer ${ADMIN}` } });
  assert.equal(adminAct.status, 200);
  assert.deepEqual(control.garpCalls, ['web']);
  assert.match(control.actors.at(-1) ?? '', /^admin token from /);
});

test('login: a wrong token is 401 and sets no cookie; the right one sets an HttpOnly, SameSite=Strict cookie', async () => {
  const { web } = setup();
  const wrong = await login(web, 'not-the-token-at-all');
  assert.equal(wrong.res.status, 401);
  assert.equal(wrong.res.json().error, 'Wrong token');
  assert.equal(wrong.res.headers['set-cookie'], undefined);
  const { res } = await login(web, ADMIN);
  assert.equal(res.status, 200);
  assert.equal(res.json().role, 'admin');
  const cookie = res.headers['set-cookie'] ?? '';
  assert.match(cookie, /^hs_session_9180=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
  assert.equal((await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST }, body: '{"token": 5}' })).status, 400);
  assert.equal((await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST }, body: 'not json' })).status, 400);
});

test('over TLS the session cookie is also Secure', async () => {
  const control = populatedControl();
  const api = createControlApi(control, { routes: dashboardRoutes(control) });
  const web = withWebAccess(api, { adminToken: ADMIN, hosts: ['127.0.0.1'], tls: true, sessions: new Sessions({ now: () => 0 }) });
  const res = await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST, origin: `https://${HOST}` }, body: { token: ADMIN } });
  assert.match(res.headers['set-cookie'] ?? '', /; HttpOnly; SameSite=Strict; Secure$/);
});

test('session: actions need the CSRF token; with it, the action runs and names the browser session', async () => {
  const { web, control } = setup();
  const { cookie } = await login(web, ADMIN);
  const csrf = await csrfOf(web, cookie);
  const missing = await inject(web, action(cookie, undefined));
  assert.equal(missing.status, 403);
  assert.match(missing.json().error, /Missing or wrong CSRF token/);
  assert.equal((await inject(web, action(cookie, `${csrf}x`))).status, 403);
  assert.deepEqual(control.maintenanceCalls, []);
  const ok = await inject(web, action(cookie, csrf));
  assert.equal(ok.status, 200);
  assert.deepEqual(control.maintenanceCalls, [['web', true]]);
  assert.match(control.actors.at(-1) ?? '', /^browser session \(admin\) from /);
});

test('session: an action from another origin or site is refused even with cookie and CSRF token', async () => {
  const { web, control } = setup();
  const { cookie } = await login(web, ADMIN);
  const csrf = await csrfOf(web, cookie);
  const evil = await inject(web, action(cookie, csrf, { origin: 'http://evil.example' }));
  assert.equal(evil.status, 403);
  assert.match(evil.json().error, /Origin http:\/\/evil\.example is not this dashboard/);
  const crossSite = await inject(web, action(cookie, csrf, { 'sec-fetch-site': 'cross-site' }));
  assert.equal(crossSite.status, 403);
  assert.match(crossSite.json().error, /Sec-Fetch-Site: cross-site/);
  const neither = action(cookie, csrf);
  delete (neither.headers as Record<string, string | undefined>).origin;
  delete (neither.headers as Record<string, string | undefined>)['sec-fetch-site'];
  assert.equal((await inject(web, neither)).status, 403);
  const loginFromElsewhere = await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST, origin: 'http://evil.example' }, body: { token: ADMIN } });
  assert.equal(loginFromElsewhere.status, 403);
  assert.deepEqual(control.maintenanceCalls, []);
});

test('session: the read role sees the page without actions and cannot act', async () => {
  const { web } = setup();
  const { cookie } = await login(web, READ);
  const page = await inject(web, { url: '/ui/', headers: { host: HOST, cookie } });
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /data-action=/);
  assert.match(page.text, /id="logout"/);
  const csrf = await csrfOf(web, cookie);
  const act = await inject(web, action(cookie, csrf));
  assert.equal(act.status, 403);
  assert.match(act.json().error, /read token: log in with the admin token/);
});

test('session: it ends when idle too long, and at log out (which needs the CSRF token too)', async () => {
  const { web, now } = setup();
  const { cookie } = await login(web, ADMIN);
  const csrf = await csrfOf(web, cookie);
  const logoutWithout = await inject(web, { method: 'POST', url: '/ui/logout', headers: { host: HOST, origin: ORIGIN, cookie } });
  assert.equal(logoutWithout.status, 403);
  const out = await inject(web, { method: 'POST', url: '/ui/logout', headers: { host: HOST, origin: ORIGIN, cookie, 'x-csrf-token': csrf } });
  assert.equal(out.status, 200);
  assert.match(out.headers['set-cookie'] ?? '', /Max-Age=0/);
  assert.equal((await inject(web, { url: '/v1/status', headers: { host: HOST, cookie } })).status, 401);
  const second = await login(web, ADMIN);
  now.ms += 60_001;
  assert.equal((await inject(web, { url: '/v1/status', headers: { host: HOST, cookie: second.cookie } })).status, 401);
});

test('Host allowlist: names not ours are refused before any token is looked at (DNS rebinding)', async () => {
  const { web } = setup();
  for (const host of ['evil.example:9180', 'localhost.evil.example', '10.0.0.1:9180', '']) {
    const res = await inject(web, { url: '/v1/status', headers: { host, authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 403, host);
    assert.match(res.json().error, /DNS rebinding guard/);
  }
  for (const host of ['127.0.0.1:9180', 'localhost:9180', '[::1]:9180', 'LB1.example.net']) {
    assert.equal((await inject(web, { url: '/v1/status', headers: { host, authorization: `Bearer ${ADMIN}` } })).status, 200, host);
  }
});

test('the unix socket: loopback and single-label hosts only; actions from another origin refused', async () => {
  const control = populatedControl();
  const guarded = withSocketGuard(createControlApi(control, { routes: dashboardRoutes(control) }));
  assert.equal((await inject(guarded, { url: '/v1/status', headers: { host: 'x' } })).status, 200);
  assert.equal((await inject(guarded, { url: '/', headers: { host: 'localhost:8080' } })).status, 200);
  assert.equal((await inject(guarded, { url: '/', headers: { host: 'attacker.example:8080' } })).status, 403);
  const evil = await inject(guarded, { method: 'POST', url: '/v1/reload', headers: { host: 'localhost:8080', origin: 'http://attacker.example' } });
  assert.equal(evil.status, 403);
  const same = await inject(guarded, { method: 'POST', url: '/v1/reload', headers: { host: 'localhost:8080', origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' } });
  assert.equal(same.status, 200);
  assert.equal((await inject(guarded, { method: 'POST', url: '/v1/reload', headers: { host: 'x' } })).status, 200, 'the CLI');
});

test('host names: ports and brackets stripped; the socket accepts no dotted name', () => {
  assert.equal(hostName('[::1]:80'), '::1');
  assert.equal(hostName('Example.NET:443'), 'example.net');
  assert.equal(hostName('a b'), undefined);
  assert.equal(socketHostAllowed('127.0.0.1'), true);
  assert.equal(socketHostAllowed('10.0.0.1'), false);
  assert.equal(socketHostAllowed('x'), true);
  assert.equal(socketHostAllowed('rebind.example'), false);
});

test('/v1/config never shows the tokens', async () => {
  const control = populatedControl();
  control.configValue = { ...control.configValue, global: { web: { host: '127.0.0.1', port: 9180, insecure: false, readToken: READ, adminToken: ADMIN, allowedHosts: [] } } } as never;
  const res = await inject(createControlApi(control), { url: '/v1/config' });
  assert.doesNotMatch(res.text, new RegExp(`${ADMIN}|${READ}`));
  assert.equal(res.json().config.global.web.adminToken, '<redacted>');
});

test('TCP: bad input gets a clear 4xx: an oversized login, a malformed Host, an unknown method', async () => {
  const { web } = setup();
  const huge = await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST }, body: { token: 'x'.repeat(5000) } });
  assert.equal(huge.status, 413);
  const badHost = await inject(web, { url: '/v1/status', headers: { host: 'a b:1', authorization: `Bearer ${ADMIN}` } });
  assert.equal(badHost.status, 403);
  const options = await inject(web, { method: 'OPTIONS', url: '/v1/status', headers: { host: HOST, authorization: `Bearer ${ADMIN}` } });
  assert.equal(options.status, 405);
  assert.equal(options.headers.allow, 'GET');
  const noBody = await inject(web, { method: 'POST', url: '/ui/login', headers: { host: HOST } });
  assert.equal(noBody.status, 400);
});
