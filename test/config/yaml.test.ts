/**
 * The native YAML format: every key, both collection forms, durations, address forms, and the
 * defaults it shares with keepalived.conf.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HotstandbyConfig, InstanceConfig } from '../../src/config/model.js';
import { instanceYaml, yaml, YAML_FILE } from './helpers.js';

interface Row {
  title: string;
  text: string;
  get: (config: HotstandbyConfig) => unknown;
  want: unknown;
}

const first = (c: HotstandbyConfig): InstanceConfig => c.instances[0] as InstanceConfig;
const inst = (title: string, body: string, get: (i: InstanceConfig) => unknown, want: unknown): Row => ({
  title,
  text: instanceYaml(body),
  get: (c) => get(first(c)),
  want,
});

const rows: Row[] = [
  inst('defaults match keepalived', '', (i) => [i.priority, i.version, i.advertIntervalMs, i.preempt, i.accept, i.initialState, i.unicastTtl], [100, 2, 1000, true, true, 'BACKUP', 255]),
  inst('priority', '    priority: 200', (i) => i.priority, 200),
  inst('version', '    version: 3', (i) => i.version, 3),
  inst('initialState in either case', '    initialState: master', (i) => i.initialState, 'MASTER'),
  inst('advertInterval in ms', '    version: 3\n    advertInterval: 100ms', (i) => i.advertIntervalMs, 100),
  inst('advertInterval as a number of ms', '    version: 3\n    advertInterval: 250', (i) => i.advertIntervalMs, 250),
  inst('advertInterval in s', '    advertInterval: 2s', (i) => i.advertIntervalMs, 2000),
  inst('advertInterval in m', '    advertInterval: 1m', (i) => i.advertIntervalMs, 60_000),
  inst('advertInterval compound', '    version: 3\n    advertInterval: 1.5s', (i) => i.advertIntervalMs, 1500),
  inst('preempt: false', '    preempt: false', (i) => i.preempt, false),
  inst('preemptDelay', '    preemptDelay: 1m30s', (i) => i.preemptDelayMs, 90_000),
  inst('accept: false', '    accept: false', (i) => i.accept, false),
  inst('auth', '    auth:\n      password: "1234"', (i) => i.authPass, '1234'),
  inst('v3ChecksumExcludesPseudoHeader', '    version: 3\n    v3ChecksumExcludesPseudoHeader: true', (i) => i.v3ChecksumExcludesPseudoHeader, true),
  {
    title: 'vips as strings and objects',
    text: 'instances:\n  web:\n    interface: eth0\n    vrid: 51\n    vips:\n      - 192.0.2.10/24 dev eth1 label eth1:web scope link brd +\n      - address: 192.0.2.11/24\n        device: eth2\n        label: eth2:x\n      - { address: 192.0.2.12, prefix: 25, broadcast: 192.0.2.127, scope: site }\n    excludedVips: [2001:db8::1]\n',
    get: (c) => first(c).vips.map(({ source, ...v }) => ({ ...v, line: source.line })),
    want: [
      { address: '192.0.2.10', family: 4, prefixLength: 24, device: 'eth1', label: 'eth1:web', scope: 'link', broadcast: '192.0.2.255', excluded: false, line: 6 },
      { address: '192.0.2.11', family: 4, prefixLength: 24, device: 'eth2', label: 'eth2:x', scope: 'global', excluded: false, line: 7 },
      { address: '192.0.2.12', family: 4, prefixLength: 25, device: 'eth0', scope: 'site', broadcast: '192.0.2.127', excluded: false, line: 10 },
      { address: '2001:db8::1', family: 6, prefixLength: 128, device: 'eth0', scope: 'global', excluded: true, line: 11 },
    ],
  },
  inst('unicast', '    unicast:\n      source: 192.0.2.1\n      peers: [192.0.2.2, 192.0.2.3]\n      ttl: 64', (i) => [i.unicastSourceAddress, i.unicastPeers, i.unicastTtl], ['192.0.2.1', ['192.0.2.2', '192.0.2.3'], 64]),
  inst('track interfaces', '    track:\n      interfaces:\n        - eth1\n        - { name: eth2, weight: -10 }', (i) => i.trackInterfaces, [
    { name: 'eth1', weight: 0 },
    { name: 'eth2', weight: -10 },
  ]),
  {
    title: 'track checks with and without weight',
    text: `checks:\n  a: { type: exec, command: /bin/true }\n  b: { type: exec, command: /bin/true }\n${instanceYaml('    track:\n      checks: [a, { name: b, weight: 5 }]')}`,
    get: (c) => first(c).trackScripts,
    want: [{ name: 'a' }, { name: 'b', weight: 5 }],
  },
  inst('notify', '    notify:\n      master: /bin/m master\n      backup: /bin/b\n      fault: /bin/f\n      stop: /bin/s\n      any: "/bin/a \'x y\'"', (i) => i.notify, {
    master: '/bin/m master',
    backup: '/bin/b',
    fault: '/bin/f',
    stop: '/bin/s',
    generic: "/bin/a 'x y'",
  }),
  inst('garp', '    garp:\n      masterDelay: 2s\n      masterRepeat: 3\n      masterRefresh: 30s\n      masterRefreshRepeat: 2\n      interval: 5ms', (i) => i.garp, {
    masterDelayMs: 2000,
    masterRepeat: 3,
    masterRefreshMs: 30_000,
    masterRefreshRepeat: 2,
    intervalMs: 5,
  }),
  {
    title: 'global settings',
    text: `global:\n  routerId: lb1\n  version: 3\n  multicastGroup4: 224.0.0.19\n  multicastGroup6: ff02::13\n  scriptUser: nobody\n  enableScriptSecurity: true\n  garp: { masterDelay: 1s, masterRepeat: 2, masterRefresh: 0, masterRefreshRepeat: 1, interval: 1ms, naInterval: 3ms }\n${instanceYaml('')}`,
    get: (c) => [c.global, first(c).version],
    want: [
      {
        routerId: 'lb1',
        multicastGroup4: '224.0.0.19',
        multicastGroup6: 'ff02::13',
        scriptUser: 'nobody',
        enableScriptSecurity: true,
        garp: { masterDelayMs: 1000, masterRepeat: 2, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 1 },
      },
      3,
    ],
  },
  {
    title: 'global naInterval applies to IPv6 instances',
    text: 'global:\n  garp: { interval: 1ms, naInterval: 3ms }\ninstances:\n  v6: { interface: eth0, vrid: 1, vips: [fd00::1] }\n  v4: { interface: eth0, vrid: 1, vips: [192.0.2.1] }\n',
    get: (c) => c.instances.map((i) => i.garp.intervalMs),
    want: [3, 1],
  },
  {
    title: 'instances as a list with names',
    text: 'instances:\n  - name: a\n    interface: eth0\n    vrid: 1\n    vips: [192.0.2.1]\n  - name: b\n    interface: eth0\n    vrid: 2\n    vips: [192.0.2.2]\n',
    get: (c) => c.instances.map((i) => [i.name, i.source.line]),
    want: [
      ['a', 2],
      ['b', 6],
    ],
  },
  {
    title: 'checks: every key, command as a string or a list',
    text: `checks:\n  - name: web\n    type: exec\n    command: "/usr/bin/check 'a b'"\n    interval: 2s\n    timeout: 500ms\n    weight: -5\n    rise: 2\n    fall: 3\n    user: nobody\n    initFail: true\n  - name: db\n    type: exec\n    command: [/usr/bin/check-db, --fast]\n${instanceYaml('    track:\n      checks: [web, db]')}`,
    get: (c) => c.scripts.map(({ source, ...s }) => ({ ...s, line: source.line })),
    want: [
      { name: 'web', command: ['/usr/bin/check', 'a b'], intervalMs: 2000, timeoutMs: 500, weight: -5, rise: 2, fall: 3, user: 'nobody', initFail: true, line: 2 },
      { name: 'db', command: ['/usr/bin/check-db', '--fast'], intervalMs: 1000, timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false, line: 12 },
    ],
  },
  {
    title: 'sync groups as a map and as a list',
    text: `syncGroups:\n  - name: g\n    instances: [a, b]\n    notify: { master: /bin/g }\ninstances:\n  a: { interface: eth0, vrid: 1, vips: [192.0.2.1] }\n  b: { interface: eth0, vrid: 2, vips: [192.0.2.2] }\n`,
    get: (c) => c.syncGroups.map(({ source, ...g }) => ({ ...g, line: source.line })),
    want: [{ name: 'g', instances: ['a', 'b'], notify: { master: '/bin/g' }, line: 2 }],
  },
  {
    title: 'anchors and aliases',
    text: 'instances:\n  a: { interface: eth0, vrid: 1, vips: &v [192.0.2.1] }\n  b: { interface: eth0, vrid: 2, vips: *v }\n',
    get: (c) => c.instances.map((i) => i.vips[0]?.address),
    want: ['192.0.2.1', '192.0.2.1'],
  },
  { title: 'an empty file is an empty configuration', text: '# nothing yet\n', get: (c) => c.instances, want: [] },
];

for (const row of rows) {
  test(`YAML: ${row.title}`, () => {
    assert.deepEqual(row.get(yaml(row.text).config), row.want);
  });
}

test('YAML sources name the file and the line of each value', () => {
  const { config } = yaml(instanceYaml(''));
  assert.deepEqual(first(config).source, { file: YAML_FILE, line: 2 });
  assert.deepEqual(first(config).vips[0]?.source, { file: YAML_FILE, line: 5 });
});
