/**
 * loadConfigFile: both kinds from disk, the result deeply frozen; errors for unreadable files.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { freezeConfig, loadConfigFile } from '../../src/config/load.js';
import { joinData, withoutSources } from './helpers.js';

test('loadConfigFile reads both kinds into the same configuration', async () => {
  const a = await loadConfigFile(joinData('keepalived', 'keepalived.conf'), 'keepalived');
  const b = await loadConfigFile(joinData('equivalent.yaml'), 'yaml');
  assert.deepEqual(withoutSources(b.config), withoutSources(a.config));
});

test('the loaded configuration is deeply frozen', async () => {
  const { config, warnings } = await loadConfigFile(joinData('equivalent.yaml'), 'yaml');
  const instance = config.instances[0];
  assert.ok(instance);
  assert.throws(() => {
    (instance as { priority: number }).priority = 1;
  }, TypeError);
  assert.throws(() => {
    (instance.vips as unknown[]).push({});
  }, TypeError);
  assert.throws(() => {
    (instance.vips[0] as { address: string }).address = '192.0.2.99';
  }, TypeError);
  assert.throws(() => {
    (config.global.garp as { masterRepeat: number }).masterRepeat = 9;
  }, TypeError);
  assert.ok(Object.isFrozen(warnings));
  assert.equal(instance.priority, 150);
});

test('freezeConfig freezes in place and returns the same object', async () => {
  const { config } = await loadConfigFile(joinData('equivalent.yaml'), 'yaml');
  const copy = structuredClone(config);
  assert.equal(Object.isFrozen(copy), false);
  assert.equal(freezeConfig(copy), copy);
  assert.ok(Object.isFrozen(copy.instances[0]?.trackChecks));
});

test('a missing file is the file system error; a bad file is a ConfigError naming it', async () => {
  await assert.rejects(loadConfigFile('/nonexistent/hotstandby.yaml', 'yaml'), { code: 'ENOENT' });
  const dir = await mkdtemp(join(tmpdir(), 'hotstandby-config-'));
  try {
    const path = join(dir, 'bad.conf');
    await writeFile(path, 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 999\n}\n');
    await assert.rejects(loadConfigFile(path, 'keepalived'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${path}:3: virtual_router_id: Virtual router id 999 is out of range: expected an integer 1..255`);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
