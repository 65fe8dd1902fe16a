/**
 * The examples in docs/config.md are valid configurations (so the reference cannot drift from the
 * code): the complete YAML example, and every other ```yaml and ```conf (keepalived.conf) block.
 * Merge keys are refused as documented.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { assertConfigError, conf, DATA_DIR, yaml } from './helpers.js';

const DOC = resolve(DATA_DIR, '../../../docs/config.md');

async function blocks(language: string): Promise<string[]> {
  const text = await readFile(DOC, 'utf8');
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
}

test('the complete YAML example of docs/config.md loads without warnings', async () => {
  const [example] = await blocks('yaml');
  assert.ok(example, 'no yaml block in docs/config.md');
  const { config, warnings } = yaml(example);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.instances.map((i) => [i.name, i.version, i.family]), [
    ['web', 2, 4],
    ['db', 3, 4],
    ['web6', 3, 6],
  ]);
  assert.deepEqual(config.checks.map((c) => [c.name, c.kind]), [
    ['chk_haproxy', 'exec'],
    ['haproxy_running', 'process'],
    ['db_port', 'tcp'],
    ['chk_api', 'exec'],
    ['api_health', 'http'],
    ['maintenance', 'file'],
    ['uplink', 'interface'],
  ]);
  assert.deepEqual(config.checks[0]?.kind === 'exec' && config.checks[0].command, ['/usr/local/bin/check-haproxy', '--port', '80', 'front end']);
  const health = config.checks[4];
  assert.ok(health?.kind === 'http' && health.bodyRegex !== undefined && new RegExp(health.bodyRegex).test('{"status": "up"}'));
});

test('the Tomcat pair of docs/config.md: YAML and keepalived.conf both load without warnings and track the same', async () => {
  const [, tomcatYaml] = await blocks('yaml');
  const [tomcatConf] = await blocks('conf');
  assert.ok(tomcatYaml && tomcatConf, 'the Tomcat examples are missing');
  const fromYaml = yaml(tomcatYaml);
  const fromConf = await conf(tomcatConf);
  assert.deepEqual(fromYaml.warnings, []);
  assert.deepEqual(fromConf.warnings, []);
  for (const { config } of [fromYaml, fromConf]) {
    assert.deepEqual(config.instances.map((i) => [i.name, i.priority, i.trackChecks]), [['app', 150, [{ name: 'tomcat_http' }, { name: 'tomcat_java' }]]]);
    assert.deepEqual(config.checks.map((c) => [c.name, c.weight, c.fall, c.rise]), [
      ['tomcat_http', -60, 3, 2],
      ['tomcat_java', 0, 1, 1],
    ]);
    assert.deepEqual(config.checks[1]?.kind === 'process' && config.checks[1].match, { name: 'java' });
  }
  assert.equal(fromYaml.config.checks[0]?.kind, 'http');
  assert.equal(fromConf.config.checks[0]?.kind, 'exec');
});

test('every YAML block of docs/config.md loads without warnings', async () => {
  for (const block of await blocks('yaml')) assert.deepEqual(yaml(block).warnings, [], block);
});

test('YAML merge keys are not accepted', async () => {
  await assertConfigError(() => yaml('base: &b { interface: eth0 }\n'), { line: 1, key: 'base', message: /Unknown key "base"/ });
  await assertConfigError(() => yaml('instances:\n  a:\n    <<: { interface: eth0 }\n'), { line: 3, key: 'instances.a.<<', message: /Unknown key "<<"/ });
});
