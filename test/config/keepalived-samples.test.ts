/**
 * The sample configurations Debian's keepalived package ships (/usr/share/doc/keepalived/samples)
 * either load - every vrrp_instance of the file in the model, no keyword unknown - or are refused
 * for the reason named here, which docs/config.md lists. Loading is config-level: the samples name
 * interfaces (eth0, eth1, ...) that need not exist here. Skipped when the package is not installed.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { loadKeepalivedConf } from '../../src/config/keepalived/index.js';
import type { LoadedConfig } from '../../src/config/model.js';
import { DATA_DIR } from './helpers.js';

const SAMPLES = '/usr/share/doc/keepalived/samples';
const DOC = resolve(DATA_DIR, '../../../docs/config.md');

interface Refusal {
  /** The keyword the error names. */
  key: string;
  message: RegExp;
  /** How docs/config.md lists the reason. */
  documented: string;
}

/** The samples hotstandby refuses, and why. Every other sample must load. */
const REFUSED: Readonly<Record<string, Refusal>> = {
  'keepalived.conf.SSL_GET': { key: 'auth_type', message: /IPsec AH authentication is not supported/, documented: '`auth_type AH`' },
  'keepalived.conf.conditional_conf': { key: '@high', message: /Conditional configuration lines \("@id \.\.\."\) are not supported/, documented: 'conditional lines (`@id ...`)' },
  // Its `to 192.168.200./24` is not an address (keepalived logs it and drops the rule).
  'keepalived.conf.vrrp.rules': { key: 'virtual_rules', message: /"192\.168\.200\.\/24" is not an address or prefix/, documented: '`virtual_rules` line `to 192.168.200./24`' },
  'keepalived.conf.vrrp.static_ipaddress': { key: 'static_ipaddress', message: /static addresses are not configured by hotstandby/, documented: '`static_ipaddress`' },
};

/** Unknown keywords keepalived 2.2.7 does not know either (it warns alike). */
const UNKNOWN_IN_KEEPALIVED_TOO: Readonly<Record<string, RegExp>> = {
  // Sync group members written without "group { }": keepalived ignores the lines and the group too.
  'keepalived.conf.vrrp.lvs_syncd': /Unknown keyword "VI_[23]" in vrrp_sync_group ignored/,
};

const samples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((f) => f.startsWith('keepalived.conf')).sort() : [];
const skip = samples.length === 0 ? `${SAMPLES} is absent (Debian package keepalived)` : false;

async function load(file: string): Promise<LoadedConfig | ConfigError> {
  try {
    return await loadKeepalivedConf(join(SAMPLES, file));
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

for (const file of samples) {
  const refusal = REFUSED[file];
  const title = refusal ? `keepalived sample ${file} is refused: ${refusal.key}` : `keepalived sample ${file} loads with every vrrp_instance`;
  test(title, async () => {
    const text = await readFile(join(SAMPLES, file), 'utf8');
    const result = await load(file);
    if (refusal) {
      assert.ok(result instanceof ConfigError, `${file} loads now: remove it from REFUSED`);
      assert.equal(result.source?.file, join(SAMPLES, file));
      assert.equal(result.key, refusal.key);
      assert.match(result.message, refusal.message);
      assert.ok((await readFile(DOC, 'utf8')).includes(refusal.documented), `docs/config.md does not list ${refusal.documented}`);
      return;
    }
    assert.ok(!(result instanceof ConfigError), `${file} refused: ${(result as ConfigError).message}`);
    const blocks = [...text.matchAll(/^\s*vrrp_instance\s+(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(result.config.instances.map((i) => i.name), blocks);
    const unknown = result.warnings.filter((w) => w.message.startsWith('Unknown keyword'));
    const expected = UNKNOWN_IN_KEEPALIVED_TOO[file];
    for (const warning of unknown) assert.match(warning.message, expected ?? /^$/, `${file}:${warning.source.line}`);
    for (const warning of result.warnings) assert.equal(warning.source.file, join(SAMPLES, file));
  });
}

test('the samples directory holds the 25 configurations Debian ships', { skip }, () => {
  assert.equal(samples.length, 25, samples.join(' '));
});
