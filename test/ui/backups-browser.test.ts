/**
 * The dashboard's Backups section in a real browser (Debian's chromium through playwright-core)
 * against a daemon in the lab: log in as admin, run the job now through the confirmation, browse
 * the new snapshot's tree, restore one file to a path through the restore confirmation (its
 * bytes equal the original's, the restore is named in the event log with who asked), and download
 * a file. A read-only session sees no action buttons, and its forged restore is refused.
 *
 * And an open page of a daemon started without jobs shows the jobs a reload adds.
 *
 * HOTSTANDBY_SCREENSHOTS=docs/images writes the screenshot of docs/dashboard.md.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import type { BackupsStatus } from '../../src/backup/jobs/status.js';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { initRepository } from '../backup/jobs/support.js';
import { chromiumUnavailableReason, launchChromium, tunnelTo } from './browser-support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason() ?? chromiumUnavailableReason();
const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const WEB_PORT = 9180;

async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.waitForURL(/\/ui\/login$/);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/ui\/$/);
}

/** The daemon's YAML up to its instances: the web listener with both tokens, one instance on eth0. */
function daemonConfig(lab: Lab, vrid: number): string {
  return `global:
  web:
    listen: 127.0.0.1:${WEB_PORT}
    adminToken: ${ADMIN}
    readToken: ${READ}
instances:
  web:
    interface: eth0
    vrid: ${vrid}
    version: 3
    priority: 150
    advertInterval: 200ms
    vips: [${lab.vip4(0)}/24]
`;
}

/** Chromium on the dashboard of host a (through a tunnel to its loopback listener), a page logged in as admin. */
async function loggedInPage(t: { after: (fn: () => unknown) => void }, lab: Lab) {
  const tunnel = await tunnelTo(lab, 'a', WEB_PORT);
  t.after(() => tunnel.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  browser.context.setDefaultTimeout(30_000);
  const page = await browser.context.newPage();
  await logIn(page, tunnel.url, ADMIN);
  return { page, browser, tunnel };
}

test('the Backups section in chromium: run a job now, browse the snapshot, restore a file to a path, download one', { skip, timeout: 240_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const data = join(lab.dir, 'srv');
  mkdirSync(join(data, 'webapps', 'ROOT'), { recursive: true });
  const page1 = randomBytes(300_000);
  writeFileSync(join(data, 'webapps', 'ROOT', 'index.jsp'), page1);
  writeFileSync(join(data, 'server.xml'), '<Server port="8005"/>\n');
  const repo = await initRepository(lab.dir, 'repo');
  const runtime = join(lab.dir, 'run');
  const config = `${daemonConfig(lab, 71)}backups:
  jobs:
    tomcat:
      paths: [${data}]
      repositories: [{ repo: ${repo.repo}, passwordFile: ${repo.passwordFile} }]
      schedule: "0 3 * * *"
`;
  lab.startDaemon('a', ['run', '--config', lab.writeFile('a.yaml', config), '--runtime-dir', runtime, '--log-format', 'json']);
  const status = async () => (await getJson(controlSocketPath(runtime), '/v1/backups').catch(() => undefined)) as BackupsStatus | undefined;
  // Never backed up: the master runs it at once; wait for that first run.
  await waitFor(async () => (await status())?.jobs[0]?.lastRun?.ok, { description: 'first run', timeoutMs: 60_000 });

  const { page, browser, tunnel } = await loggedInPage(t, lab);

  // The job tile; Run now through the confirmation that states the effect.
  const tile = page.locator('.backup-job[data-job="tomcat"]');
  await tile.waitFor();
  assert.match((await tile.locator('.last-run').textContent()) ?? '', /^ok at /);
  await tile.locator('button[data-action="backup-run"]').click();
  assert.match((await page.locator('#confirm-effect').textContent()) ?? '', new RegExp(`Backs up ${data.replace(/[/.]/g, '\\$&')} now into .*repo, from this node`));
  await page.click('#confirm-ok');
  await page.locator('.backup-job[data-job="tomcat"] .last-run', { hasText: '(run now)' }).waitFor({ timeout: 60_000 });
  const events = (await getJson(controlSocketPath(runtime), '/v1/events')) as { events: Array<{ message: string }> };
  assert.ok(events.events.some((e) => /backup job tomcat: run started \(run now by browser session \(admin\)/.test(e.message)), 'the event log names who ran it');

  // Browse: the repository's snapshots, the newest first; into the tree down to the file.
  await page.locator('.backup-job[data-job="tomcat"] button.browse').click();
  const snapshots = page.locator('#snapshot-list button.snapshot');
  await waitFor(async () => (await snapshots.count()) === 2, { description: 'two snapshots listed' });
  await snapshots.first().click();
  for (const dir of data.split('/').filter((p) => p !== '')) await page.locator('#tree button.open-dir', { hasText: `${dir}/` }).click();
  await page.locator('#tree tr[data-path$="/server.xml"]').waitFor();
  await page.locator('#tree button.open-dir', { hasText: 'webapps/' }).click();
  await page.locator('#tree button.open-dir', { hasText: 'ROOT/' }).click();
  const row = page.locator('#tree tr[data-path$="/ROOT/index.jsp"]');
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /293\.0 KiB/);

  // Download it: the browser saves the same bytes.
  const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.download').click()]);
  const saved = join(lab.dir, 'downloaded.jsp');
  await download.saveAs(saved);
  assert.ok(readFileSync(saved).equals(page1), 'downloaded bytes equal the original');

  // Restore it to a path through the confirmation.
  await row.locator('button.restore').click();
  assert.match((await page.locator('#restore-effect').textContent()) ?? '', /below the directory you give, on this node/);
  const target = join(lab.dir, 'restored');
  await page.fill('#restore-target', target);
  await page.click('#restore-ok');
  await page.locator('.operations li[data-state="done"]').waitFor({ timeout: 60_000 });
  assert.ok(readFileSync(join(target, 'index.jsp')).equals(page1), 'restored bytes equal the original');
  await page.screenshot({ path: join(process.env.HOTSTANDBY_SCREENSHOTS || lab.dir, 'dashboard-backups.png'), fullPage: true });

  // A read-only session: no Run now, no Restore…; a forged restore is refused.
  await browser.context.clearCookies();
  const readPage = await browser.context.newPage();
  await logIn(readPage, tunnel.url, READ);
  await readPage.locator('.backup-job[data-job="tomcat"]').waitFor();
  assert.equal(await readPage.locator('button[data-action="backup-run"]').count(), 0);
  const csrf = (await readPage.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';
  const forged = await readPage.evaluate(async (csrf) => {
    const res = await fetch('/v1/backups/jobs/tomcat/restore', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ snapshot: 'latest', path: '/x', target: '/tmp/x' }) });
    return res.status;
  }, csrf);
  assert.equal(forged, 403);
});

test('an open dashboard of a daemon started without backup jobs shows the jobs a reload adds, without being loaded again by hand', { skip, timeout: 240_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const data = join(lab.dir, 'srv');
  mkdirSync(data);
  writeFileSync(join(data, 'server.xml'), '<Server port="8005"/>\n');
  const repo = await initRepository(lab.dir, 'repo');
  const runtime = join(lab.dir, 'run');
  const base = daemonConfig(lab, 72);
  const configFile = lab.writeFile('a.yaml', base);
  lab.startDaemon('a', ['run', '--config', configFile, '--runtime-dir', runtime, '--log-format', 'json']);
  await waitFor(async () => (await getJson(controlSocketPath(runtime), '/v1/backups').catch(() => undefined)) !== undefined, { description: 'the daemon answers', timeoutMs: 60_000 });

  const { page } = await loggedInPage(t, lab);
  await page.locator('[data-placeholder="backups"]').waitFor();
  await page.locator('#connection.live').waitFor();

  writeFileSync(configFile, `${base}backups:
  jobs:
    tomcat:
      paths: [${data}]
      repositories: [{ repo: ${repo.repo}, passwordFile: ${repo.passwordFile} }]
      schedule: "0 3 * * *"
`);
  // The operator reloads from the page itself, through the confirmation.
  await page.click('button[data-action="reload"]');
  await page.click('#confirm-ok');
  const tile = page.locator('.backup-job[data-job="tomcat"]');
  await tile.waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[data-placeholder="backups"]').count(), 0, 'the placeholder is gone');
  // The section's module runs: the tile refreshes to the job's first run (never backed up: at once).
  await page.locator('.backup-job[data-job="tomcat"] .last-run[data-ok="true"]').waitFor({ timeout: 90_000 });
});
