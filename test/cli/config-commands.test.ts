/**
 * check-config and convert: no daemon needed. convert's promise is that its output loads to the
 * same configuration as its input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { detectConfigKind } from '../../src/cli/check-config.js';
import { configToYaml } from '../../src/cli/convert.js';
import { loadConfigFile } from '../../src/config/load.js';
import { parseYamlConfig } from '../../src/config/yaml/index.js';
import { joinData, withoutSources } from '../config/helpers.js';
import { cli } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'hs-cli-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

const REALISTIC_CONF = joinData('keepalived', 'keepalived.conf');

/** "3 instances, 2 checks, 1 sync group, 1 warning" for a file, counted by the loader itself. */
async function expectedSummary(file: string, kind: 'yaml' | 'keepalived'): Promise<string> {
  const { config, warnings } = await loadConfigFile(file, kind);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return [
    count(config.instances.length, 'instance'),
    count(config.checks.length, 'check'),
    count(config.syncGroups.length, 'sync group'),
    count(warnings.length, 'warning'),
  ].join(', ');
}

test('check-config: a valid YAML file exits 0 with a summary; warnings name file and line', async () => {
  const file = joinData('equivalent.yaml');
  const run = await cli('check-config', file);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${file}: valid (YAML): ${await expectedSummary(file, 'yaml')}\n`);
  assert.match(run.stderr, /^warning: \/.*equivalent\.yaml:\d+: Instance "VI_WEB" starts as BACKUP/m);
  const { warnings } = await loadConfigFile(file, 'yaml');
  assert.equal(run.stderr.split('\n').filter((l) => l.startsWith('warning: ')).length, warnings.length);
});

test('check-config: a keepalived.conf (by extension, or by content without one) with its includes', async () => {
  const run = await cli('check-config', REALISTIC_CONF);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${REALISTIC_CONF}: valid (keepalived.conf): ${await expectedSummary(REALISTIC_CONF, 'keepalived')}\n`);
  assert.match(run.stderr, /^warning: \/.*conf\.d\/10-web\.conf:\d+: Instance "VI_WEB" starts as BACKUP/m, 'a warning from an included file names it');

  const bare = scratchFile('keepalived-lb1', 'global_defs {\n  router_id lb1\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    192.0.2.7\n  }\n}\n');
  const detected = await cli('check-config', bare);
  assert.equal(detected.code, 0, detected.stderr);
  assert.match(detected.stdout, /valid \(keepalived\.conf\): 1 instance, 0 checks/);
  const forced = await cli('check-config', '--yaml', bare);
  assert.equal(forced.code, 1, 'read as YAML it is not a valid configuration');
});

test('check-config: an invalid file exits 1 with the error naming file, line and key', async () => {
  const file = scratchFile('bad.yaml', 'instances:\n  web:\n    interface: eth0\n    vrid: 300\n    vips: [192.0.2.1]\n');
  const run = await cli('check-config', file);
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`^error: ${file}:4: instances\\.web\\.vrid: Virtual router id 300 is out of range`, 'm'));

  const json = await cli('check-config', '--json', file);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.valid, false);
  assert.equal(report.kind, 'yaml');
  assert.equal(report.error.file, file);
  assert.equal(report.error.line, 4);
  assert.equal(report.error.key, 'instances.web.vrid');

  const typo = scratchFile('typo.conf', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 0\n}\n');
  const conf = await cli('check-config', typo);
  assert.equal(conf.code, 1);
  assert.match(conf.stderr, new RegExp(`${typo}:4: priority: Priority 0 is out of range`));
});

test('check-config: unreadable file or bad usage exit 2; --help documents the exit codes', async () => {
  const missing = await cli('check-config', join(scratch, 'does-not-exist.yaml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*does-not-exist\.yaml: ENOENT/);
  assert.equal((await cli('check-config', scratch)).code, 2, 'a directory is not readable as a file');
  assert.equal((await cli('check-config')).code, 2);
  assert.equal((await cli('check-config', '--yaml', '--keepalived', REALISTIC_CONF)).code, 2);
  const help = await cli('check-config', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes: 0 valid \(warnings allowed\), 1 invalid, 2 unreadable file or bad usage\./);
});

test('kind detection: extension first, then the first recognisable top-level line', () => {
  assert.equal(detectConfigKind('/etc/hs.yml', 'vrrp_instance X {'), 'yaml');
  assert.equal(detectConfigKind('/etc/keepalived.conf', 'instances:'), 'keepalived');
  assert.equal(detectConfigKind('/etc/hs', '# comment\ninstances:\n  web: {}\n'), 'yaml');
  assert.equal(detectConfigKind('/etc/ka', '! comment\n  vrrp_script chk {\n'), 'keepalived');
  assert.equal(detectConfigKind('/etc/ka', 'include /etc/keepalived/conf.d/*.conf\n'), 'keepalived');
});

test('convert: the realistic keepalived.conf prints YAML that loads to the same configuration', async () => {
  const run = await cli('convert', REALISTIC_CONF);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^# Converted from .*keepalived\.conf by hotstandby convert\.\n/);
  assert.match(run.stdout, /\n  mail:\n    to:\n      - ops@example\.com\n    server: 127\.0\.0\.1\n/, 'the email keywords become global.mail');
  const converted = scratchFile('converted.yaml', run.stdout);
  const fromConf = await loadConfigFile(REALISTIC_CONF, 'keepalived');
  const fromYaml = await loadConfigFile(converted, 'yaml');
  assert.deepEqual(withoutSources(fromYaml.config), withoutSources(fromConf.config));
  // keepalived's own corrections were applied once, in the conversion; none are left to warn about.
  assert.deepEqual(fromYaml.warnings, []);
});

test('convert: invalid input exits 1, unreadable 2', async () => {
  const typo = scratchFile('invalid.conf', 'vrrp_instance VI_1 {\n  interface eth0\n}\n');
  const invalid = await cli('convert', typo);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /has no virtual router id/);
  assert.equal(invalid.stdout, '');
  assert.equal((await cli('convert', join(scratch, 'missing.conf'))).code, 2);
  assert.equal((await cli('convert')).code, 2);
});

/** Every kind of check and most instance settings, away from their defaults. */
const RICH_YAML = `
global:
  routerId: lb2
  multicastGroup4: 224.0.0.19
  multicastGroup6: ff02::13
  scriptUser: hs_script
  scriptGroup: hs_group
  enableScriptSecurity: true
  startupDelay: 2.5s
  notifyFifo: /run/hotstandby/notify.fifo
  notifyFifoScript: /usr/local/bin/read-fifo --verbose
  garp: { masterDelay: 0s, masterRepeat: 3, masterRefresh: 30s, masterRefreshRepeat: 2, interval: 5ms, naInterval: 7ms }
checks:
  exec_default_user: { type: exec, command: "/bin/check 'two words' plain" }
  exec_own_user: { type: exec, command: [/bin/check, "it's quoted"], user: nobody, interval: 3s, timeout: 500ms, rise: 4, fall: 5, initFail: true }
  exec_group_only: { type: exec, command: /bin/true, group: adm, weight: 10 }
  web: { type: http, url: "https://192.0.2.80:8443/health?full=1", expectStatus: [200, "300-302"], bodyRegex: "^ok$", tlsVerify: false, hostHeader: www.example.com, weight: -15 }
  plain_http: { type: http, url: "http://192.0.2.80/" }
  db: { type: tcp, host: 192.0.2.81, port: 5432, interval: 2s }
  nginx: { type: process, process: nginx, quorum: 2 }
  cmdline: { type: process, commandLine: "/usr/sbin/haproxy -f /etc/haproxy.cfg" }
  pidfile: { type: process, pidFile: /run/sshd.pid }
  flag: { type: file, path: /run/hotstandby/weight }
  flag_fault: { type: file, path: /run/hotstandby/fault, weight: 0 }
  uplink: { type: interface, interface: eth9 }
instances:
  v4:
    interface: eth0
    vrid: 10
    priority: 200
    initialState: MASTER
    advertInterval: 2s
    accept: false
    auth: { password: "1234" }
    vips:
      - 192.0.2.10/24 dev eth1 label eth1:vip scope site brd 192.0.2.255
      - { address: 192.0.2.11, label: "eth0:has space" }
    excludedVips: [2001:db8::1/64, 198.51.100.1/32 dev eth2]
    unicast: { source: 192.0.2.1, peers: [192.0.2.2, 192.0.2.3], ttl: 64 }
    track:
      interfaces: [eth3, { name: eth4, weight: -10 }]
      checks: [exec_default_user, exec_own_user, { name: web, weight: -5 }, exec_group_only, plain_http, db, nginx, cmdline, pidfile, flag, flag_fault, uplink]
    notify: { master: "/bin/notify master 'v 4'", backup: /bin/notify backup, fault: /bin/notify fault, stop: /bin/notify stop, any: /bin/notify-any }
    garp: { masterDelay: 1s, interval: 9ms }
  v3:
    interface: eth0
    vrid: 11
    version: 3
    advertInterval: 250ms
    preempt: false
    vips: [192.0.2.20]
    v3ChecksumExcludesPseudoHeader: true
  v6:
    interface: eth1
    vrid: 10
    priority: 90
    preemptDelay: 15s
    vips: [fe80::10, 2001:db8:2::10/64]
  owner:
    interface: eth2
    vrid: 12
    priority: 255
    vips: [198.51.100.12]
  grouped_a: { interface: eth5, vrid: 20, vips: [203.0.113.1] }
  grouped_b: { interface: eth5, vrid: 21, vips: [203.0.113.2], initialState: BACKUP }
syncGroups:
  pair:
    instances: [grouped_a, grouped_b]
    notify: { master: /bin/group master, any: /bin/group-any }
`;

test('convert: YAML written from a configuration with every kind of check loads back deep-equal', () => {
  const original = parseYamlConfig(RICH_YAML, '/etc/hotstandby/rich.yaml');
  const text = configToYaml(original.config);
  const reloaded = parseYamlConfig(text, '/tmp/converted.yaml');
  assert.deepEqual(withoutSources(reloaded.config), withoutSources(original.config));
  assert.deepEqual(
    reloaded.warnings.map((w) => w.message),
    original.warnings.map((w) => w.message),
    'the same corrections (none applied twice)',
  );
  // Settings at their defaults are left out; ones away from them are there.
  assert.match(text, /^ {2}v3:\n {4}interface: eth0\n {4}vrid: 11\n {4}version: 3\n/m);
  assert.match(text, /command: \/bin\/check 'two words' plain$/m);
  assert.doesNotMatch(text, /user: hs_script/, 'the global script user is not repeated per check');
});

test('convert: an IPv6 burst gap that differs between instances stays with each instance', () => {
  const original = parseYamlConfig(
    'instances:\n  a: { interface: eth0, vrid: 1, vips: [fe80::1], garp: { interval: 3ms } }\n  b: { interface: eth0, vrid: 2, vips: [fe80::2] }\n',
    '/etc/hs.yaml',
  );
  const text = configToYaml(original.config);
  assert.deepEqual(withoutSources(parseYamlConfig(text, '/tmp/x.yaml').config), withoutSources(original.config));
});
