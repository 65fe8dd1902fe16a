/**
 * keepalived.conf and YAML describing the same setup produce deep-equal configurations (apart from
 * source locations), and both front ends obey the same validation rules (one shared module).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadKeepalivedConf } from '../../src/config/keepalived/index.js';
import { loadYamlConfig } from '../../src/config/yaml/index.js';
import { ConfigError } from '../../src/config/config-error.js';
import { conf, instanceConf, instanceYaml, joinData, withoutSources, yaml } from './helpers.js';

test('the realistic keepalived.conf and its YAML equivalent are the same configuration', async () => {
  const fromConf = await loadKeepalivedConf(joinData('keepalived', 'keepalived.conf'));
  const fromYaml = await loadYamlConfig(joinData('equivalent.yaml'));
  assert.deepEqual(withoutSources(fromYaml.config), withoutSources(fromConf.config));
});

const pairs: { title: string; keepalived: string; yaml: string }[] = [
  {
    title: 'a bare instance',
    keepalived: instanceConf(''),
    yaml: instanceYaml('', 'VI_1'),
  },
  {
    title: 'timers, preemption, accept',
    keepalived: instanceConf('    version 3\n    advert_int 0.15\n    preempt_delay 3\n    no_accept\n    priority 90'),
    yaml: instanceYaml('    version: 3\n    advertInterval: 150ms\n    preemptDelay: 3s\n    accept: false\n    priority: 90', 'VI_1'),
  },
  {
    title: 'addresses of both families',
    keepalived: instanceConf('    virtual_ipaddress {\n        192.0.2.20/28 brd + dev eth3 label eth3:a scope site\n    }\n    virtual_ipaddress_excluded {\n        2001:db8::7/64 dev eth4\n    }'),
    yaml: instanceYaml('    excludedVips: ["2001:db8::7/64 dev eth4"]', 'VI_1').replace('vips: [192.0.2.10]', 'vips: [192.0.2.10, { address: 192.0.2.20/28, broadcast: 192.0.2.31, device: eth3, label: "eth3:a", scope: site }]'),
  },
  {
    title: 'unicast with authentication',
    keepalived: instanceConf('    unicast_src_ip 192.0.2.1\n    unicast_peer {\n        192.0.2.2\n    }\n    unicast_ttl 32\n    authentication {\n        auth_type PASS\n        auth_pass longpassword\n    }'),
    yaml: instanceYaml('    unicast: { source: 192.0.2.1, peers: [192.0.2.2], ttl: 32 }\n    auth: { password: longpassword }', 'VI_1'),
  },
  {
    title: 'the owner in a sync group, with tracking',
    keepalived: `vrrp_script s {\n script "/bin/check x"\n weight 5\n}\nvrrp_sync_group g {\n group {\n  VI_1\n  VI_2\n }\n}\n${instanceConf('    priority 255\n    track_script {\n        s\n    }\n    track_interface {\n        eth1 weight 3\n    }')}${instanceConf('    virtual_router_id 52', 'VI_2')}`,
    yaml: `checks:\n  s: { type: exec, command: /bin/check x, weight: 5 }\nsyncGroups:\n  g: { instances: [VI_1, VI_2] }\ninstances:\n  VI_1:\n    interface: eth0\n    vrid: 51\n    vips: [192.0.2.10]\n    priority: 255\n    track: { checks: [s], interfaces: [{ name: eth1, weight: 3 }] }\n  VI_2: { interface: eth0, vrid: 52, vips: [192.0.2.10] }\n`,
  },
  {
    title: 'an exec check with user and group, tracked with a weight',
    keepalived: `global_defs {\n script_user runner staff\n}\nvrrp_script chk {\n script "/usr/bin/check --deep \'a b\'"\n interval 2\n timeout 1\n rise 2\n fall 3\n weight -10\n user nobody nogroup\n init_fail\n}\nvrrp_script plain {\n script /bin/true\n}\n${instanceConf('    track_script {\n        chk weight -20\n        plain\n    }')}`,
    yaml: `global:\n  scriptUser: runner\n  scriptGroup: staff\nchecks:\n  chk: { type: exec, command: [/usr/bin/check, --deep, a b], interval: 2s, timeout: 1s, rise: 2, fall: 3, weight: -10, user: nobody, group: nogroup, initFail: true }\n  plain: { type: exec, command: /bin/true }\n${instanceYaml('    track:\n      - { name: chk, weight: -20 }\n      - plain', 'VI_1')}`,
  },
  {
    title: 'file and process checks, tracked with and without weights',
    keepalived: `track_file maint {\n file /run/maint\n weight -50\n}\nvrrp_track_process web {\n process nginx\n quorum 2\n weight 10\n}\nvrrp_track_process app {\n process /usr/bin/java -jar /opt/app.jar\n}\n${instanceConf('    track_file {\n        maint\n    }\n    track_process {\n        web weight 20\n        app\n    }')}`,
    yaml: `checks:\n  maint: { type: file, path: /run/maint, weight: -50 }\n  web: { type: process, process: nginx, quorum: 2, weight: 10 }\n  app: { type: process, commandLine: /usr/bin/java -jar /opt/app.jar }\n${instanceYaml('    track: [maint, { name: web, weight: 20 }, app]', 'VI_1')}`,
  },
  {
    title: 'a file check of weight 1 in a sync group, a startup delay and a notify FIFO',
    keepalived: `global_defs {\n vrrp_startup_delay 0.25\n vrrp_notify_fifo /run/vrrp.fifo\n vrrp_notify_fifo_script "/usr/local/bin/reader -v"\n}\ntrack_file f {\n file /run/f\n}\nvrrp_sync_group g {\n group {\n  VI_1\n  VI_2\n }\n}\n${instanceConf('    track_file {\n        f\n    }')}${instanceConf('    virtual_router_id 52', 'VI_2')}`,
    yaml: `global:\n  startupDelay: 250ms\n  notifyFifo: /run/vrrp.fifo\n  notifyFifoScript: /usr/local/bin/reader -v\nchecks:\n  f: { type: file, path: /run/f }\nsyncGroups:\n  g: { instances: [VI_1, VI_2] }\ninstances:\n  VI_1: { interface: eth0, vrid: 51, vips: [192.0.2.10], track: [f] }\n  VI_2: { interface: eth0, vrid: 52, vips: [192.0.2.10] }\n`,
  },
];

for (const pair of pairs) {
  test(`same configuration from keepalived.conf and YAML: ${pair.title}`, async () => {
    const fromConf = await conf(pair.keepalived);
    const fromYaml = yaml(pair.yaml);
    assert.deepEqual(withoutSources(fromYaml.config), withoutSources(fromConf.config));
    assert.deepEqual(
      fromYaml.warnings.map((w) => w.message),
      fromConf.warnings.map((w) => w.message),
    );
  });
}

/** The same rule broken in both formats gives the same complaint, from the shared validation. */
const sharedRules: { title: string; keepalived: string; yaml: string; message: RegExp }[] = [
  { title: 'VRID out of range', keepalived: instanceConf('    virtual_router_id 300'), yaml: instanceYaml('').replace('vrid: 51', 'vrid: 300'), message: /Virtual router id 300 is out of range/ },
  { title: 'priority out of range', keepalived: instanceConf('    priority 0'), yaml: instanceYaml('    priority: 0'), message: /Priority 0 is out of range/ },
  { title: 'missing interface', keepalived: 'vrrp_instance VI_1 {\n virtual_router_id 1\n}\n', yaml: 'instances:\n  VI_1: { vrid: 1 }\n', message: /Instance "VI_1" has no interface/ },
  {
    title: 'IPv6 with version 2',
    keepalived: 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n version 2\n virtual_ipaddress {\n  fd00::1\n }\n}\n',
    yaml: 'instances:\n  VI_1: { interface: eth0, vrid: 1, version: 2, vips: [fd00::1] }\n',
    message: /VRRP version 2 cannot carry IPv6/,
  },
  {
    title: 'duplicate VRID',
    keepalived: instanceConf('') + instanceConf('', 'VI_2'),
    yaml: 'instances:\n  VI_1: { interface: eth0, vrid: 51, vips: [192.0.2.1] }\n  VI_2: { interface: eth0, vrid: 51, vips: [192.0.2.2] }\n',
    message: /both use VRID 51 for IPv4 on interface eth0/,
  },
  {
    title: 'unknown tracked check',
    keepalived: 'vrrp_script chk_web {\n script /bin/true\n}\n' + instanceConf('    track_script {\n        chk_wbe\n    }'),
    yaml: `checks:\n  chk_web: { type: exec, command: /bin/true }\n${instanceYaml('    track: [chk_wbe]', 'VI_1')}`,
    message: /tracks check "chk_wbe", which is not defined \(did you mean 'chk_web'\?\)/,
  },
  { title: 'check weight out of range', keepalived: 'track_file f {\n file /run/f\n weight 300\n}\n', yaml: 'checks:\n  f: { type: file, path: /run/f, weight: 300 }\n', message: /Weight 300 is out of range: expected an integer -254\.\.254/ },
  { title: 'relative file path', keepalived: 'track_file f {\n file run/f\n}\n', yaml: 'checks:\n  f: { type: file, path: run/f }\n', message: /File "run\/f" is not an absolute path/ },
  { title: 'process quorum 0', keepalived: 'vrrp_track_process p {\n process nginx\n quorum 0\n}\n', yaml: 'checks:\n  p: { type: process, process: nginx, quorum: 0 }\n', message: /Quorum 0 is out of range/ },
  { title: 'process name that is a path', keepalived: 'vrrp_track_process p {\n process /usr/sbin/nginx\n}\n', yaml: 'checks:\n  p: { type: process, process: /usr/sbin/nginx }\n', message: /is a path/ },
  { title: 'check without a command', keepalived: 'vrrp_script s {\n interval 2\n}\n', yaml: 'checks:\n  s: { type: exec, interval: 2s }\n', message: /Check "s" has no command/ },
  {
    title: 'duplicate check names',
    keepalived: 'vrrp_track_process c {\n process nginx\n}\ntrack_file c {\n file /run/c\n}\n',
    yaml: 'checks:\n  - { name: c, type: process, process: nginx }\n  - { name: c, type: file, path: /run/c }\n',
    message: /Check "c" is already defined at .* as a process check/,
  },
  { title: 'relative notify FIFO', keepalived: 'global_defs {\n notify_fifo run/k.fifo\n}\n', yaml: 'global:\n  notifyFifo: run/k.fifo\n', message: /Notify FIFO "run\/k\.fifo" is not an absolute path/ },
  { title: 'v3 advert interval too long', keepalived: instanceConf('    version 3\n    advert_int 50'), yaml: instanceYaml('    version: 3\n    advertInterval: 50s'), message: /out of range for VRRP version 3/ },
];

for (const rule of sharedRules) {
  test(`shared rule in both formats: ${rule.title}`, async () => {
    const messages: string[] = [];
    for (const run of [() => conf(rule.keepalived), async () => yaml(rule.yaml)]) {
      const err = await run().then(
        () => assert.fail('expected a ConfigError'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, rule.message);
      // The wording after "file:line: key: ", with locations inside the text masked.
      const prefix = `${err.source?.file}:${err.source?.line}: ${err.key ? `${err.key}: ` : ''}`;
      messages.push(err.message.slice(prefix.length).replace(/\/[^\s)]+:\d+/g, 'FILE:LINE'));
    }
    const [fromConf, fromYaml] = messages;
    assert.equal(fromYaml, fromConf);
  });
}
