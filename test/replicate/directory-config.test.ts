/** `kind: directory` in YAML: good settings parse; each bad one is an error naming its key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlConfig } from '../../src/config/yaml/index.js';
import type { DirectoryKindSettings } from '../../src/replicate/directory-kind.js';

const BASE = `instances:
  app:
    interface: eth0
    vrid: 60
    priority: 150
    vips: [192.0.2.80/24]
resources:
  files:
    kind: directory
    follows: app
`;

function load(extra: string) {
  return parseYamlConfig(BASE + extra, 'test.yaml');
}

test('directory resource: settings parse with defaults', () => {
  const { config } = load('    path: /srv/data/\n    peers: [192.0.2.2, "[2001:db8::2]:9000"]\n    keyFile: /etc/hotstandby/k\n    exclude: ["*.tmp"]\n');
  const settings = config.resources![0]!.settings as DirectoryKindSettings;
  assert.equal(settings.path, '/srv/data');
  assert.deepEqual(settings.peers, [{ host: '192.0.2.2', port: 7411 }, { host: '2001:db8::2', port: 9000 }]);
  assert.equal(settings.conflictDir, '/srv/data.hotstandby-conflicts');
  assert.equal(settings.fullCheckEveryMs, 600_000);
  assert.equal(settings.xattrs, false);
  assert.equal(settings.acls, false);
});

test('directory resource: xattrs and acls are booleans', () => {
  const { config } = load('    path: /srv/data\n    keyFile: /k\n    xattrs: true\n    acls: true\n');
  const settings = config.resources![0]!.settings as DirectoryKindSettings;
  assert.equal(settings.xattrs, true);
  assert.equal(settings.acls, true);
  assert.throws(() => load('    path: /srv/data\n    keyFile: /k\n    xattrs: maybe\n'), (err: Error) => /xattrs/.test(err.message));
});

test('directory resource: each bad setting is an error naming its key', () => {
  const cases: [string, RegExp][] = [
    ['    path: relative/dir\n    keyFile: /k\n', /path/],
    ['    path: /srv/data\n', /keyFile/],
    ['    path: /srv/data\n    keyFile: /k\n    port: 70000\n', /port/],
    ['    path: /srv/data\n    keyFile: /k\n    peers: ["a:b:c"]\n', /peers/],
    ['    path: /srv/data\n    keyFile: /k\n    conflictDir: /srv/data/conflicts\n', /conflictDir/],
    ['    path: /srv/data\n    keyFile: /k\n    bandwidthLimit: 10\n', /bandwidthLimit/],
  ];
  for (const [yaml, key] of cases) {
    assert.throws(() => load(yaml), (err: Error) => key.test(err.message) && /files/.test(err.message), yaml);
  }
});
