/**
 * The complete example in docs/config.md is a valid configuration (so the reference cannot drift
 * from the code), and merge keys are refused as documented.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { assertConfigError, DATA_DIR, yaml } from './helpers.js';

const DOC = resolve(DATA_DIR, '../../../docs/config.md');

test('the YAML example of docs/config.md loads without warnings', async () => {
  const text = await readFile(DOC, 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(example, 'no yaml block in docs/config.md');
  const { config, warnings } = yaml(example);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.instances.map((i) => [i.name, i.version, i.family]), [
    ['web', 2, 4],
    ['db', 3, 4],
    ['web6', 3, 6],
  ]);
  assert.deepEqual(config.scripts.map((s) => s.command), [
    ['/usr/local/bin/check-haproxy', '--port', '80', 'front end'],
    ['/usr/local/bin/check-api', '--quick'],
  ]);
});

test('YAML merge keys are not accepted', async () => {
  await assertConfigError(() => yaml('base: &b { interface: eth0 }\n'), { line: 1, key: 'base', message: /Unknown key "base"/ });
  await assertConfigError(() => yaml('instances:\n  a:\n    <<: { interface: eth0 }\n'), { line: 3, key: 'instances.a.<<', message: /Unknown key "<<"/ });
});
