import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { DEMO_CHECK_NAME, DEMO_INSTANCE_NAME, demoNodeConfig } from '../../src/demo/node-config.js';

test("the demo's node configuration loads without warnings: v3 at 100 ms, the VIP, a FAULT-on-failure HTTP check", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-demo-config-'));
  try {
    const path = join(dir, 'a.yaml');
    writeFileSync(
      path,
      demoNodeConfig({ node: 'a', priority: 150, vip: '10.99.7.100', prefixLength: 24, vrid: 42, advertIntervalMs: 100, webPort: 80, checkIntervalMs: 100 }),
    );
    const { config, warnings } = await loadConfigFile(path, 'yaml');
    assert.deepEqual(warnings, []);
    const instance = config.instances.find((i) => i.name === DEMO_INSTANCE_NAME);
    assert.ok(instance);
    assert.equal(instance.version, 3);
    assert.equal(instance.advertIntervalMs, 100);
    assert.equal(instance.priority, 150);
    assert.equal(instance.vrid, 42);
    assert.deepEqual(
      instance.vips.map((v) => `${v.address}/${v.prefixLength}`),
      ['10.99.7.100/24'],
    );
    assert.deepEqual(instance.trackChecks.map((t) => t.name), [DEMO_CHECK_NAME]);
    const check = config.checks.find((c) => c.name === DEMO_CHECK_NAME);
    assert.ok(check && check.kind === 'http');
    assert.equal(check.url, 'http://127.0.0.1:80/');
    assert.equal(check.weight, 0);
    assert.equal(check.intervalMs, 100);
    assert.equal(check.fall, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
