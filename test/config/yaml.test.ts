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
  inst('unicast source check on by default', '    unicast:\n      peers: [192.0.2.2]', (i) => [i.checkUnicastSource, i.unicastPeerTtl], [true, {}]),
  inst('unicast source check turned off', '    unicast:\n      peers: [192.0.2.2]\n      checkSource: false', (i) => i.checkUnicastSource, false),
  inst('unicast peer TTL ranges', '    unicast:\n      peers:\n        - { address: 192.0.2.2, minTtl: 250 }\n        - { address: 192.0.2.3, maxTtl: 64 }\n        - 192.0.2.4', (i) => [i.unicastPeers, i.unicastPeerTtl], [
    ['192.0.2.2', '192.0.2.3', '192.0.2.4'],
    { '192.0.2.2': { min: 250, max: 255 }, '192.0.2.3': { min: 0, max: 64 } },
  ]),
  inst('track interfaces', '    track:\n      interfaces:\n        - eth1\n        - { name: eth2, weight: -10 }', (i) => i.trackInterfaces, [
    { name: 'eth1', weight: 0 },
    { name: 'eth2', weight: -10 },
  ]),
  {
    title: 'track checks with and without weight',
    text: `checks:\n  a: { type: exec, command: /bin/true }\n  b: { type: exec, command: /bin/true }\n${instanceYaml('    track:\n      checks: [a, { name: b, weight: 5 }]')}`,
    get: (c) => first(c).trackChecks,
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
        startupDelayMs: 0, processPriority: -10,
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
    get: (c) => c.checks.map(({ source, ...s }) => ({ ...s, line: source.line })),
    want: [
      { kind: 'exec', name: 'web', command: ['/usr/bin/check', 'a b'], intervalMs: 2000, timeoutMs: 500, weight: -5, rise: 2, fall: 3, user: 'nobody', initFail: true, line: 2 },
      { kind: 'exec', name: 'db', command: ['/usr/bin/check-db', '--fast'], intervalMs: 1000, timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false, line: 12 },
    ],
  },
  {
    title: 'exec check user and group; without a user, the global script user and group',
    text: `global:\n  scriptUser: runner\n  scriptGroup: staff\nchecks:\n  a: { type: exec, command: /bin/true }\n  b: { type: exec, command: /bin/true, user: nobody }\n  c: { type: exec, command: /bin/true, user: nobody, group: nogroup }\n${instanceYaml('    track: [a, b, c]')}`,
    get: (c) => c.checks.map((k) => (k.kind === 'exec' ? [k.user, k.group] : [])),
    want: [
      ['runner', 'staff'],
      ['nobody', undefined],
      ['nobody', 'nogroup'],
    ],
  },
  {
    title: 'http check: every key, sub-second durations',
    text: `checks:\n  tomcat:\n    type: http\n    url: http://127.0.0.1:8080/health\n    expectStatus: ["200-299", 301]\n    bodyRegex: "^OK"\n    hostHeader: app.example.com\n    interval: 200ms\n    timeout: 150ms\n    weight: -40\n    rise: 3\n    fall: 2\n    initFail: true\n${instanceYaml('    track: [tomcat]')}`,
    get: (c) => ({ ...c.checks[0], source: undefined }),
    want: {
      kind: 'http',
      name: 'tomcat',
      url: 'http://127.0.0.1:8080/health',
      expectStatus: [
        [200, 299],
        [301, 301],
      ],
      bodyRegex: '^OK',
      tlsVerify: true,
      hostHeader: 'app.example.com',
      intervalMs: 200,
      timeoutMs: 150,
      weight: -40,
      rise: 3,
      fall: 2,
      initFail: true,
      source: undefined,
    },
  },
  {
    title: 'http check defaults: status 200-299, TLS verified, timeout = interval',
    text: `checks:\n  s: { type: http, url: "https://[2001:db8::1]/", interval: 2s }\n${instanceYaml('    track: [s]')}`,
    get: (c) => {
      const k = c.checks[0];
      return k?.kind === 'http' ? [k.expectStatus, k.tlsVerify, k.timeoutMs, k.weight, k.bodyRegex, k.hostHeader] : undefined;
    },
    want: [[[200, 299]], true, 2000, 0, undefined, undefined],
  },
  {
    title: 'http expectStatus forms',
    text: `checks:\n  a: { type: http, url: "http://h/", expectStatus: 204 }\n  b: { type: http, url: "http://h/", expectStatus: "2xx, 304" }\n  c: { type: http, url: "http://h/", expectStatus: [200, "300-302"], tlsVerify: false }\n${instanceYaml('    track: [a, b, c]')}`,
    get: (c) => c.checks.map((k) => (k.kind === 'http' ? k.expectStatus : [])),
    want: [
      [[204, 204]],
      [
        [200, 299],
        [304, 304],
      ],
      [
        [200, 200],
        [300, 302],
      ],
    ],
  },
  {
    title: 'tcp check; IPv6 hosts in canonical form',
    text: `checks:\n  a: { type: tcp, host: localhost, port: 5432 }\n  b: { type: tcp, host: "2001:DB8::0:1", port: 22, timeout: 0.5s }\n${instanceYaml('    track: [a, b]')}`,
    get: (c) => c.checks.map((k) => (k.kind === 'tcp' ? [k.host, k.port, k.timeoutMs] : [])),
    want: [
      ['localhost', 5432, 1000],
      ['2001:db8::1', 22, 500],
    ],
  },
  {
    title: 'process checks by name, command line and PID file',
    text: `checks:\n  a: { type: process, process: nginx, quorum: 2 }\n  b: { type: process, commandLine: "/usr/bin/java -jar /opt/app.jar" }\n  c: { type: process, pidFile: /run/haproxy.pid }\n${instanceYaml('    track: [a, b, c]')}`,
    get: (c) => c.checks.map((k) => (k.kind === 'process' ? [k.match, k.quorum, k.weight] : [])),
    want: [
      [{ name: 'nginx' }, 2, 0],
      [{ commandLine: '/usr/bin/java -jar /opt/app.jar' }, 1, 0],
      [{ pidFile: '/run/haproxy.pid' }, 1, 0],
    ],
  },
  {
    title: 'file check: weight defaults to 1 (keepalived track_file)',
    text: `checks:\n  - name: maint\n    type: file\n    path: /run/maint\n${instanceYaml('    track: [maint]')}`,
    get: (c) => ({ ...c.checks[0], source: undefined }),
    want: { kind: 'file', name: 'maint', path: '/run/maint', intervalMs: 1000, timeoutMs: 1000, weight: 1, rise: 1, fall: 1, initFail: false, source: undefined },
  },
  {
    title: 'interface check',
    text: `checks:\n  uplink: { type: interface, interface: bond0.12, weight: -20 }\n${instanceYaml('    track: [uplink]')}`,
    get: (c) => (c.checks[0]?.kind === 'interface' ? [c.checks[0].interface, c.checks[0].weight] : undefined),
    want: ['bond0.12', -20],
  },
  {
    title: 'track as a list mixes names and weight overrides',
    text: `checks:\n  a: { type: file, path: /run/a }\n  b: { type: tcp, host: 127.0.0.1, port: 80 }\n${instanceYaml('    track:\n      - a\n      - { name: b, weight: -254 }')}`,
    get: (c) => first(c).trackChecks,
    want: [{ name: 'a' }, { name: 'b', weight: -254 }],
  },
  {
    title: 'global startupDelay and notify FIFO',
    text: `global:\n  startupDelay: 1.5s\n  notifyFifo: /run/hotstandby.fifo\n  notifyFifoScript: "/usr/local/bin/reader --tag 'lb 1'"\n${instanceYaml('')}`,
    get: (c) => [c.global.startupDelayMs, c.global.notifyFifo, c.global.notifyFifoScript],
    want: [1500, '/run/hotstandby.fifo', "/usr/local/bin/reader --tag 'lb 1'"],
  },
  {
    title: 'global processPriority',
    text: `global:\n  processPriority: 5\n${instanceYaml('')}`,
    get: (c) => c.global.processPriority,
    want: 5,
  },
  {
    title: 'processPriority defaults to -10',
    text: instanceYaml(''),
    get: (c) => c.global.processPriority,
    want: -10,
  },
  {
    title: 'startupDelay defaults to 0',
    text: instanceYaml(''),
    get: (c) => c.global.startupDelayMs,
    want: 0,
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

const yamlWarnings: { title: string; text: string; line: number; message: RegExp; then?: (c: HotstandbyConfig) => void }[] = [
  {
    title: 'tlsVerify on an http:// URL',
    text: `checks:\n  s:\n    type: http\n    url: http://127.0.0.1/\n    tlsVerify: false\n${instanceYaml('    track: [s]')}`,
    line: 5,
    message: /tlsVerify has no effect on check "s": its URL is http:\/\/, not https:\/\//,
  },
  {
    title: 'a process name longer than the kernel keeps',
    text: `checks:\n  p: { type: process, process: elasticsearch-node }\n${instanceYaml('    track: [p]')}`,
    line: 2,
    message: /only "elasticsearch-n" \(15 bytes\) is compared/,
  },
  {
    title: 'a notify FIFO script without a FIFO',
    text: `global:\n  notifyFifoScript: /usr/local/bin/reader\n${instanceYaml('')}`,
    line: 2,
    message: /Notify FIFO script "\/usr\/local\/bin\/reader" ignored: no notify FIFO is set/,
    then: (c) => assert.equal(c.global.notifyFifoScript, undefined),
  },
  { title: 'a check nobody tracks', text: `checks:\n  lonely: { type: tcp, host: 127.0.0.1, port: 22 }\n${instanceYaml('')}`, line: 2, message: /Check "lonely" is not used by any instance/ },
  {
    title: 'a weighted http check in a sync group is dropped',
    text: `checks:\n  s: { type: http, url: "http://127.0.0.1/", weight: -10 }\nsyncGroups:\n  g: { instances: [a, b] }\ninstances:\n  a: { interface: eth0, vrid: 1, vips: [192.0.2.1], track: [s] }\n  b: { interface: eth0, vrid: 2, vips: [192.0.2.2] }\n`,
    line: 6,
    message: /Weighted tracking of check "s" is ignored in instance "a": it is in a sync group/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackChecks, []),
  },
  {
    title: 'an unweighted check of the address owner stays',
    text: `checks:\n  s: { type: interface, interface: eth1 }\n  t: { type: interface, interface: eth2, weight: 5 }\ninstances:\n  a: { interface: eth0, vrid: 1, priority: 255, vips: [192.0.2.1], track: [s, t] }\n`,
    line: 5,
    message: /Weighted tracking of check "t" is ignored in instance "a": it is the address owner/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackChecks, [{ name: 's' }]),
  },
];

for (const row of yamlWarnings) {
  test(`YAML warning: ${row.title}`, () => {
    const { config, warnings } = yaml(row.text);
    const found = warnings.find((w) => row.message.test(w.message));
    assert.ok(found, `no warning matching ${row.message} in:\n${warnings.map((w) => `${w.source.line}: ${w.message}`).join('\n')}`);
    assert.deepEqual(found.source, { file: YAML_FILE, line: row.line });
    row.then?.(config);
  });
}
