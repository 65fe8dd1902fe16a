/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a pair in
 * the lab: what only a browser shows. Log in (a wrong token refused), see the pair, put the
 * master in maintenance through the confirmation and watch the backup's page show its takeover
 * live, stop the master and watch the same, see the page grey out when its daemon dies, and the
 * CSRF and Origin rules refuse a forged action from inside the page.
 *
 * HOTSTANDBY_SCREENSHOTS=docs/images writes the screenshots of docs/dashboard.md.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { chromiumUnavailableReason, forwardUnixSocket, launchChromium, tunnelTo } from './browser-support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason() ?? chromiumUnavailableReason();
const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const WEB_PORT = 9180;
const TIMEOUT = 30_000;

/**
 * With `pair` ({own, peer} lab addresses) the API also listens on the lab link (plain HTTP with
 * `insecure: true` on this private link; TLS in production) and asks the peer's (global.peerApi).
 */
function nodeYaml(name: string, priority: number, vip: string, pair?: { own: string; peer: string }): string {
  const listen = pair ? `0.0.0.0:${WEB_PORT}\n    insecure: true\n    allowedHosts: [127.0.0.1, ${pair.own}]` : `127.0.0.1:${WEB_PORT}`;
  const peerApi = pair ? `  peerApi:\n    url: http://${pair.peer}:${WEB_PORT}\n    readToken: ${READ}\n    timeout: 500ms\n    interval: 1s\n` : '';
  return `global:
  routerId: ${name}
  web:
    listen: ${listen}
    adminToken: ${ADMIN}
    readToken: ${READ}
${peerApi}instances:
  web:
    interface: eth0
    vrid: 51
    version: 3
    priority: ${priority}
    advertInterval: 200ms
    vips: [${vip}/24]
resources:
  app:
    kind: exec
    follows: web
    promote: [/bin/true]
    demote: [/bin/true]
    monitor: [/bin/sh, -c, 'echo gauge lag_seconds $(( $(date +%s) % 5 )); echo gauge conflicts 0']
    monitorInterval: 500ms
`;
}

function screenshotPath(lab: Lab, name: string): string {
  const dir = process.env.HOTSTANDBY_SCREENSHOTS;
  if (dir === undefined || dir === '') return join(lab.dir, `${name}.png`);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.waitForURL(/\/ui\/login$/);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
}

/** A POST with headers a page's fetch may not set (Cookie, Origin). */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end('{"on":true}');
  });
}

const tileState = (page: Page) => page.locator('.tile[data-instance="web"]').getAttribute('data-state');
/** The exec resource's phase as its tile shows it (active = promoted, standby). */
const resourcePhase = (page: Page) => page.locator('.resource-tile[data-resource="app"]').getAttribute('data-phase');

test('the dashboard in chromium: log in, see the pair, maintenance and a failover live, the greyed page when the daemon dies', { skip, timeout: 240_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const runtime = { a: join(lab.dir, 'hs-a-run'), b: join(lab.dir, 'hs-b-run') };
  const pairOf = (host: 'a' | 'b') => ({ own: lab.host(host).ipv4, peer: lab.host(host === 'a' ? 'b' : 'a').ipv4 });
  const start = (host: 'a' | 'b', priority: number) =>
    lab.startDaemon(host, ['run', '--config', lab.writeFile(`hs-${host}.yaml`, nodeYaml(host, priority, vip, pairOf(host))), '--runtime-dir', runtime[host], '--log-format', 'json']);
  const daemonA = start('a', 150);
  start('b', 100);
  const stateOf = async (host: 'a' | 'b') => {
    try {
      const status = (await getJson(controlSocketPath(runtime[host]), '/v1/status')) as { instances: Array<{ state: string }> };
      return status.instances[0]?.state;
    } catch {
      return undefined;
    }
  };
  await waitFor(async () => (await stateOf('a')) === 'MASTER' && (await stateOf('b')) === 'BACKUP', { description: 'a MASTER, b BACKUP', timeoutMs: 60_000 });

  const tunnelA = await tunnelTo(lab, 'a', WEB_PORT);
  const tunnelB = await tunnelTo(lab, 'b', WEB_PORT);
  t.after(() => tunnelA.close());
  t.after(() => tunnelB.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const { context } = browser;
  context.setDefaultTimeout(TIMEOUT);

  // Log in: a wrong token is refused on the page; the admin token gets the dashboard.
  const pageA = await context.newPage();
  await logIn(pageA, tunnelA.url, 'not-the-right-token-at-all');
  await pageA.locator('#login-error').waitFor({ state: 'visible' });
  assert.equal(await pageA.locator('#login-error').textContent(), 'Wrong token');
  await pageA.screenshot({ path: screenshotPath(lab, 'dashboard-login-refused') });
  await pageA.fill('#token', ADMIN);
  await pageA.click('button[type=submit]');
  await pageA.waitForURL(/\/ui\/$/);
  const pageB = await context.newPage();
  await logIn(pageB, tunnelB.url, ADMIN);
  await pageB.waitForURL(/\/ui\/$/);

  // The pair: each node's page shows its instance, who holds the VIP, and is live.
  await pageA.locator('#connection.live').waitFor();
  await pageB.locator('#connection.live').waitFor();
  assert.equal(await tileState(pageA), 'MASTER');
  assert.equal(await tileState(pageB), 'BACKUP');
  assert.match((await pageA.locator('.tile .holder').textContent()) ?? '', /held here/);
  const addressA = lab.host('a').ipv4;
  assert.equal((await pageB.locator('.tile .master').textContent())?.trim(), addressA);
  assert.match((await pageB.locator('.tile .holder').textContent()) ?? '', new RegExp(`held by ${addressA.replace(/\./g, '\\.')}`));
  await pageA.locator('#events li').first().waitFor();
  assert.match((await pageA.locator('.tile .asof').textContent()) ?? '', /as of \d+ s ago/);
  // The peer as it reports itself (its own API), beside the peer as this node hears it (adverts).
  await pageB.locator('.tile[data-instance="web"] .peer[data-peer="answering"][data-peer-state="MASTER"]').waitFor();
  await pageA.locator('.tile[data-instance="web"] .peer[data-peer="answering"][data-peer-state="BACKUP"]').waitFor();
  assert.match((await pageB.locator('.tile .peer').textContent()) ?? '', /^MASTER, priority 150 \(configured 150\), master: itself, as of \d+ s ago$/);
  assert.match((await pageB.locator('.peer-summary').textContent()) ?? '', new RegExp(`The peer as it reports itself \\(http://${addressA.replace(/\./g, '\\.')}:${WEB_PORT}\\): answering, as of \\d+ s ago`));
  // The resource follows the instance: promoted on the master, standby on the backup, with its
  // last operation, and a lag chart drawn from the samples the page kept.
  await waitFor(async () => (await resourcePhase(pageA)) === 'active' && (await resourcePhase(pageB)) === 'standby', { description: 'resource tiles: a active, b standby', timeoutMs: TIMEOUT });
  assert.match((await pageA.locator('.resource-tile[data-resource="app"] .phase').textContent()) ?? '', /active \(promoted\)/);
  assert.match((await pageA.locator('.resource-tile[data-resource="app"] .last-op').textContent()) ?? '', /promote succeeded in \d+ ms/);
  assert.match((await pageA.locator('.resource-tile[data-resource="app"] .asof').textContent()) ?? '', /as of \d+ s ago/);
  assert.equal((await pageA.locator('.resource-tile[data-resource="app"] .conflicts').getAttribute('data-conflicts')), '0');
  const chart = pageA.locator('.resource-tile[data-resource="app"] svg.spark[data-series="app/lag_seconds"]');
  await waitFor(async () => Number(await chart.getAttribute('data-samples')) >= 5, { description: 'the lag chart has samples', timeoutMs: TIMEOUT });
  assert.equal((await chart.locator('polyline').getAttribute('points'))?.split(' ').length, Number(await chart.getAttribute('data-samples')));
  await pageA.screenshot({ path: screenshotPath(lab, 'dashboard-master'), fullPage: true });

  // A forged action from inside the page: without the CSRF token, and with a foreign Origin header
  // (which fetch may not set: the request goes through Node, with the session cookie).
  const forged = await pageA.evaluate(async () => {
    const res = await fetch('/v1/instances/web/maintenance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"on":true}' });
    return { status: res.status, body: (await res.json()) as { error: string } };
  });
  assert.equal(forged.status, 403);
  assert.match(forged.body.error, /CSRF token/);
  const cookies = await context.cookies(tunnelA.url);
  const session = cookies.find((c) => c.name === `hs_session_${new URL(tunnelA.url).port}`);
  assert.ok(session, 'the session cookie is set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  const csrf = await pageA.locator('meta[name="csrf-token"]').getAttribute('content');
  const crossOrigin = await post(`${tunnelA.url}/v1/instances/web/maintenance`, {
    cookie: `${session.name}=${session.value}`,
    'x-csrf-token': csrf ?? '',
    origin: 'http://evil.example',
  });
  assert.equal(crossOrigin.status, 403);
  assert.match(crossOrigin.text, /Origin http:\/\/evil\.example is not this dashboard/);
  const wrongBearer = await fetch(`${tunnelA.url}/v1/status`, { headers: { authorization: `Bearer ${ADMIN}x` } });
  assert.equal(wrongBearer.status, 401);
  assert.equal(await stateOf('a'), 'MASTER', 'no forged request changed anything');

  // Maintenance on the master through the confirmation, which says what will happen.
  await pageA.click('.tile[data-instance="web"] button[data-action="maintenance"]');
  const effect = (await pageA.locator('#confirm-effect').textContent()) ?? '';
  assert.match(effect, new RegExp(`web on this node will lose the VIP ${vip.replace(/\./g, '\\.')} to the backup`));
  await pageA.screenshot({ path: screenshotPath(lab, 'dashboard-confirm-maintenance') });
  await pageA.click('#confirm-ok');
  // The backup's page shows its takeover as it happens, in the timeline and the tile.
  await pageB.locator('#events li.ev-transition', { hasText: 'BACKUP → MASTER' }).first().waitFor();
  await waitFor(async () => (await tileState(pageB)) === 'MASTER', { description: "b's tile MASTER", timeoutMs: TIMEOUT });
  await pageA.locator('#events li.ev-maintenance', { hasText: 'maintenance on by browser session (admin) from' }).first().waitFor();
  await pageA.locator('.tile .maintenance').waitFor();
  // The resource moved with the VIP: promoted on b, demoted on a, and b's timeline says so with the result.
  await waitFor(async () => (await resourcePhase(pageB)) === 'active' && (await resourcePhase(pageA)) === 'standby', { description: 'resource tiles: b active, a standby', timeoutMs: TIMEOUT });
  await pageB.locator('#events li.ev-resource[data-result="ok"]', { hasText: "resource 'app' promote succeeded" }).first().waitFor();
  await pageB.screenshot({ path: screenshotPath(lab, 'dashboard-takeover'), fullPage: true });

  // Maintenance off: a preempts and is master again.
  await pageA.click('.tile[data-instance="web"] button[data-action="maintenance"][data-on="false"]');
  assert.match((await pageA.locator('#confirm-effect').textContent()) ?? '', /leaves maintenance and returns to the election/);
  await pageA.click('#confirm-ok');
  await waitFor(async () => (await stateOf('a')) === 'MASTER' && (await stateOf('b')) === 'BACKUP', { description: 'a master again', timeoutMs: TIMEOUT });
  await waitFor(async () => (await tileState(pageB)) === 'BACKUP', { description: "b's tile BACKUP again", timeoutMs: TIMEOUT });
  const takeoversBefore = await pageB.locator('#events li.ev-transition', { hasText: 'BACKUP → MASTER' }).count();

  // The master's daemon dies: its page greys out and says so; the backup's page shows the takeover live.
  await daemonA.stop('SIGKILL');
  await pageA.locator('body.disconnected').waitFor();
  assert.equal(await pageA.locator('#lost').isVisible(), true);
  assert.equal((await pageA.locator('#connection').textContent())?.trim(), 'connection lost');
  await waitFor(async () => (await pageB.locator('#events li.ev-transition', { hasText: 'BACKUP → MASTER' }).count()) > takeoversBefore, {
    description: "b's takeover on its page",
    timeoutMs: TIMEOUT,
  });
  await waitFor(async () => (await tileState(pageB)) === 'MASTER', { description: "b's tile MASTER", timeoutMs: TIMEOUT });
  assert.equal(await pageB.locator('body.disconnected').count(), 0, "b's page is live");
  // a's own API is gone too: b's page says so, keeping what a last said (MASTER) with its age.
  await pageB.locator('.tile[data-instance="web"] .peer[data-peer="unreachable"]').waitFor();
  assert.match((await pageB.locator('.tile .peer').textContent()) ?? '', /as of \d+ s ago — not answering now$/);
  await pageA.waitForTimeout(2500); // let the ages grow visibly for the screenshot
  await pageA.screenshot({ path: screenshotPath(lab, 'dashboard-connection-lost'), fullPage: true });
});

test('the dashboard through the forwarded control socket (ssh -L): no login, GARP through the confirmation, named in the timeline', { skip, timeout: 120_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const runtime = join(lab.dir, 'hs-a-run');
  const yamlText = nodeYaml('a', 150, vip).replace(/  web:\n(    .*\n)+/, '');
  lab.startDaemon('a', ['run', '--config', lab.writeFile('hs-a.yaml', yamlText), '--runtime-dir', runtime, '--log-format', 'json']);
  const socket = controlSocketPath(runtime);
  await waitFor(
    async () => {
      try {
        return ((await getJson(socket, '/v1/status')) as { instances: Array<{ state: string }> }).instances[0]?.state === 'MASTER';
      } catch {
        return false;
      }
    },
    { description: 'a MASTER', timeoutMs: 60_000 },
  );
  const forward = await forwardUnixSocket(socket);
  t.after(() => forward.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`${forward.url}/`);
  await page.locator('#connection.live').waitFor();
  assert.equal(await page.locator('#logout').count(), 0, 'nothing to log out of on the socket');
  await page.click('.tile[data-instance="web"] button[data-action="garp"]');
  assert.match((await page.locator('#confirm-effect').textContent()) ?? '', /web on this node sends one gratuitous ARP \/ NA burst/);
  await page.click('#confirm-ok');
  await page.locator('#events li.ev-garp', { hasText: 'gratuitous ARP / NA sent by control socket' }).waitFor();
  // The timeline marks a resource operation by its result: the real ones succeeded; a failed one
  // (as the daemon's event log records it) is drawn in red, by the page's own timeline module.
  await page.locator('#events li.ev-resource[data-result="ok"]', { hasText: "resource 'app' promote succeeded" }).waitFor();
  assert.equal(await page.locator('#events li.ev-failed').count(), 0);
  const event = { seq: 1e9, time: new Date().toISOString(), type: 'resource', instance: 'web', message: "resource 'app' demote timed out in 2000 ms", fields: { resource: 'app', operation: 'demote', result: 'timeout', durationMs: 2000 } };
  await page.evaluate(`import('/ui/assets/timeline.js').then(({ addEvent }) => addEvent(document.getElementById('events'), ${JSON.stringify(event)}))`);
  const failed = page.locator('#events li.ev-resource.ev-failed[data-result="timeout"]');
  assert.match((await failed.textContent()) ?? '', /demote timed out/);
  assert.equal(await failed.locator('.ev-message').evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color), 'rgb(207, 34, 46)');
  // A replication-lag alarm: raised in red, its clearing in the kind's colour only.
  const colour = (e: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color;
  for (const [seq, alarm] of [[1e9 + 1, 'raised'], [1e9 + 2, 'cleared']] as const) {
    const lag = { seq, time: new Date().toISOString(), type: 'replication-lag', instance: 'web', message: `resource 'www' replication lag ${alarm}`, fields: { resource: 'www', kind: 'directory', alarm, lag_seconds: 7 } };
    await page.evaluate(`import('/ui/assets/timeline.js').then(({ addEvent }) => addEvent(document.getElementById('events'), ${JSON.stringify(lag)}))`);
  }
  const raised = page.locator('#events li.ev-replication-lag.ev-alarm');
  assert.match((await raised.textContent()) ?? '', /replication-lag.*replication lag raised/);
  assert.equal(await raised.locator('.ev-message').evaluate(colour), 'rgb(207, 34, 46)');
  const cleared = page.locator('#events li.ev-replication-lag:not(.ev-alarm)');
  assert.match((await cleared.textContent()) ?? '', /replication lag cleared/);
  assert.equal(await cleared.locator('.ev-type').evaluate(colour), 'rgb(154, 103, 0)');
  // The same page from a name that could be an attacker's DNS (rebinding) gets nothing.
  const rebound = await post(`${forward.url}/v1/reload`, { host: 'rebind.example:80' });
  assert.equal(rebound.status, 403);
});
