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

test('directory resource: tls (certificates) instead of keyFile, and bandwidthLimit, parse', () => {
  const { config } = load('    path: /srv/data\n    tls:\n      cert: /etc/hs/node.crt\n      key: /etc/hs/node.key\n      ca: /etc/hs/ca.crt\n      peerNames: [b.example]\n    bandwidthLimit: 10MiB/s\n');
  const settings = config.resources![0]!.settings as DirectoryKindSettings;
  assert.deepEqual(settings.auth, { kind: 'certificates', files: { cert: '/etc/hs/node.crt', key: '/etc/hs/node.key', ca: '/etc/hs/ca.crt' }, peerNames: ['b.example'] });
  assert.equal(settings.bandwidthLimit, 10 * 1024 * 1024);
  const psk = load('    path: /srv/data\n    keyFile: /k\n').config.resources![0]!.settings as DirectoryKindSettings;
  assert.deepEqual(psk.auth, { kind: 'psk', keyFile: '/k' });
  assert.equal(psk.bandwidthLimit, undefined);
});

test('directory resource: bad tls and bandwidthLimit settings are errors naming the key and the problem', () => {
  const cases: [string, RegExp][] = [
    ['    path: /srv/data\n    keyFile: /k\n    tls: { cert: /c, key: /k, ca: /a }\n', /tls.*either keyFile .* or tls/],
    ['    path: /srv/data\n', /keyFile.*or certificates \(tls/],
    ['    path: /srv/data\n    tls: { cert: /c, key: /k }\n', /ca/],
    ['    path: /srv/data\n    tls: { cert: /c, key: /k, ca: /a, crl: /x }\n', /crl/],
    ['    path: /srv/data\n    tls: { cert: /c, key: /k, ca: /a, peerNames: ["a b"] }\n', /peerNames.*"a b"/],
    ['    path: /srv/data\n    keyFile: /k\n    bandwidthLimit: fast\n', /bandwidthLimit.*"fast" is not a rate/],
    ['    path: /srv/data\n    keyFile: /k\n    bandwidthLimit: 10 parsecs/s\n', /bandwidthLimit.*unknown unit "parsecs"/],
    ['    path: /srv/data\n    keyFile: /k\n    bandwidthLimit: 10B/s\n', /bandwidthLimit.*below the least limit/],
  ];
  for (const [yaml, message] of cases) {
    assert.throws(() => load(yaml), (err: Error) => message.test(err.message), yaml);
  }
});

test('directory resource: bulkPorts is a kernel-picked port by default, off, a port or a range; a bad one names bulkPorts and why', () => {
  const ports = (extra: string) => (load(`    path: /srv/data\n    keyFile: /k\n${extra}`).config.resources![0]!.settings as DirectoryKindSettings).bulkPorts;
  assert.equal(ports(''), 'ephemeral');
  assert.equal(ports('    bulkPorts: "off"\n'), 'off');
  assert.deepEqual(ports('    bulkPorts: 7412-7419\n'), { first: 7412, last: 7419 });
  assert.deepEqual(ports('    bulkPorts: 7500\n'), { first: 7500, last: 7500 });
  const cases: [string, RegExp][] = [
    ['    bulkPorts: 7419-7412\n', /first not above the last/],
    ['    bulkPorts: 0-5\n', /from 1 to 65535/],
    ['    bulkPorts: 70000\n', /from 1 to 65535/],
    ['    bulkPorts: lots\n', /not FIRST-LAST, a port or off/],
    ['    bulkPorts: 20000-30000\n', /10001 ports; at most 1024/],
    ['    bulkPorts: 7400-7420\n', /includes the replica port 7411/],
    ['    port: 9000\n    bulkPorts: 9000\n', /includes the replica port 9000/],
  ];
  for (const [yaml, why] of cases) {
    assert.throws(() => ports(yaml), (err: Error) => /bulkPorts/.test(err.message) && why.test(err.message), yaml);
  }
});

