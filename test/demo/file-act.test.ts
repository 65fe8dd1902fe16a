/**
 * The demo's file act (issue 12) on its own, as root: the web root written on the master is
 * replicated to the backup, and after kill -9 of the master the client gets the same file through
 * the VIP from the new master; printed like the other acts. Where the lab cannot run it says why
 * and is skipped, not failed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Display } from '../../src/demo/display.js';
import { fileActNodeConfig, runFileAct } from '../../src/demo/file-act.js';
import { parseYamlConfig } from '../../src/config/yaml/index.js';
import { labUnavailableReason, nativeAddonUnavailableReason } from '../../src/lab/index.js';

function collecting(): { display: Display; text: () => string } {
  let out = '';
  return { display: new Display({ write: (t: string) => (out += t) }, 'lines'), text: () => out };
}

test('file act: a file written on the master is served through the VIP by the new master after kill -9', { timeout: 120_000 }, async (t) => {
  const reason = labUnavailableReason() ?? nativeAddonUnavailableReason();
  if (reason !== undefined) return t.skip(reason);
  const { display, text } = collecting();
  const result = await runFileAct(display);
  t.diagnostic(text());
  assert.equal(result.ok, true, text());
  assert.match(text(), /^file act: a web root on a and b, replicated from the master by the directory resource/m);
  assert.match(text(), /^ {2}wrote hello\.html on a; the same bytes on b \d+ ms later$/m);
  assert.match(text(), /^ {2}GET http:\/\/[\d.]+\/hello\.html from the client: served by a$/m);
  assert.match(text(), /^ {2}kill -9 of hotstandby and the web server on a \(the master dies\)$/m);
  const served = /^ {2}GET http:\/\/[\d.]+\/hello\.html ([\d.]+) s later: served by b: "<p>written on a at [^"]+, before it died<\/p>"$/m.exec(text());
  assert.ok(served, text());
  // b notices the death by missing adverts: 3 × 100 ms + skew, then GARP; far below the poll's 30 s.
  assert.ok(result.servedAfterMs !== undefined && result.servedAfterMs < 10_000, `served after ${result.servedAfterMs} ms`);
  assert.ok(result.replicatedMs !== undefined && result.replicatedMs < 20_000);
});

test('file act where it cannot run: one line saying why, skipped (not failed), nothing started', async () => {
  const { display, text } = collecting();
  const result = await runFileAct(display, { unavailableReason: () => 'needs root: the lab creates network namespaces' });
  assert.deepEqual(result, { ok: undefined, skipped: 'needs root: the lab creates network namespaces' });
  assert.match(text(), /^file act skipped: needs root: the lab creates network namespaces\. Where it runs, the demo also shows a file written on the master/);
});

test("file act's node configuration is a valid configuration with the replicated web root", () => {
  const yaml = fileActNodeConfig(
    { node: 'a', priority: 150, vip: '10.99.1.100', prefixLength: 24, vrid: 43, advertIntervalMs: 100, webPort: 80, checkIntervalMs: 100 },
    { path: '/tmp/www-a', peer: '10.99.1.2', keyFile: '/tmp/www.key' },
  );
  const { config } = parseYamlConfig(yaml, 'files-a.yaml');
  const www = config.resources?.[0];
  assert.equal(www?.kind, 'directory');
  assert.deepEqual(www?.follows, { instance: 'web' });
  assert.deepEqual(www?.veto, { weight: -100 });
  assert.deepEqual((www?.settings as { path: string }).path, '/tmp/www-a');
  assert.equal(www?.lagAlarm?.lagMs, 2000);
});
