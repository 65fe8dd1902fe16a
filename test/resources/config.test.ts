import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseYamlConfig, loadYamlConfig } from '../../src/config/yaml/index.js';

const INSTANCES = `
instances:
  VI_1:
    interface: eth0
    vrid: 51
    priority: 100
    vips: [10.0.0.10/24]
  VI_2:
    interface: eth0
    vrid: 52
    priority: 100
    vips: [10.0.0.11/24]
  VI_3:
    interface: eth0
    vrid: 53
    priority: 100
    vips: [10.0.0.12/24]
syncGroups:
  G:
    instances: [VI_2, VI_3]
`;

const parse = (resources: string) => parseYamlConfig(`${INSTANCES}resources:\n${resources}`, 'test.yaml');

describe('resources in the YAML configuration', () => {
  it('reads the shared keys with their defaults and the kind its own', () => {
    const { config } = parse(`
  app:
    kind: exec
    follows: VI_1
    promote: /usr/local/bin/app-promote --now
    demote: [/usr/local/bin/app-demote]
    timeouts: { promote: 5s }
    onMonitorFailure: { weight: -30 }
    onStopFailure: { command: "/usr/sbin/fence-node peer", user: root }
`);
    const [app] = config.resources ?? [];
    assert.equal(app?.kind, 'exec');
    assert.deepEqual(app?.follows, { instance: 'VI_1' });
    assert.equal(app?.vip, 'after-promote');
    assert.deepEqual(app?.timeoutsMs, { start: 60_000, promote: 5_000, demote: 60_000, stop: 60_000, monitor: 10_000 });
    assert.equal(app?.monitorIntervalMs, 5_000);
    assert.deepEqual(app?.onMonitorFailure, { weight: -30 });
    assert.deepEqual(app?.veto, { fault: true });
    assert.deepEqual(app?.onStopFailure, { kind: 'command', command: ['/usr/sbin/fence-node', 'peer'], user: 'root' });
    assert.deepEqual(app?.settings, { commands: { promote: ['/usr/local/bin/app-promote', '--now'], demote: ['/usr/local/bin/app-demote'] } });
  });

  it('follows a sync group by name; an instance in a group is refused, naming the group', () => {
    const { config } = parse(`
  - name: disk
    kind: mount
    follows: G
    device: /dev/sdb1
    mountPoint: /srv/data/
    fsType: ext4
`);
    assert.deepEqual(config.resources?.[0]?.follows, { syncGroup: 'G' });
    assert.equal((config.resources?.[0]?.settings as { mountPoint: string }).mountPoint, '/srv/data');
    assert.throws(() => parse(`
  disk:
    kind: exec
    follows: VI_2
    promote: /bin/true
`), /test\.yaml:\d+: resources\.disk\.follows: Instance "VI_2" is in sync group "G": a resource follows the group/);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['an unknown key, with a suggestion', `  a:\n    kind: exec\n    follows: VI_1\n    promote: /bin/true\n    monitorIntervall: 1s\n`, /resources\.a\.monitorIntervall: Unknown key "monitorIntervall" \(did you mean 'monitorInterval'\?\)/],
    ['an unknown kind', `  a:\n    kind: exce\n    follows: VI_1\n`, /resources\.a\.kind: Unknown resource kind "exce" \(did you mean 'exec'\?\); known kinds: exec, systemd, mount/],
    ['a missing kind', `  a:\n    follows: VI_1\n`, /resources\.a: Missing "kind"/],
    ['an unknown instance', `  a:\n    kind: exec\n    follows: VI_9\n    promote: /bin/true\n`, /resources\.a\.follows: No instance or sync group named "VI_9"/],
    ['an exec resource without promote or demote', `  a:\n    kind: exec\n    follows: VI_1\n    start: /bin/true\n`, /resources\.a\.promote: An exec resource needs at least a promote or a demote command/],
    ['a positive weight', `  a:\n    kind: exec\n    follows: VI_1\n    promote: /bin/true\n    veto: { weight: 20 }\n`, /resources\.a\.veto\.weight: Weight 20 is out of range: expected -254\.\.-1/],
    ['a timeout of 0', `  a:\n    kind: exec\n    follows: VI_1\n    promote: /bin/true\n    timeouts: { demote: 0 }\n`, /resources\.a\.timeouts\.demote: demote timeout 0 ms is out of range/],
    ['a systemd unit without its type', `  a:\n    kind: systemd\n    follows: VI_1\n    unit: nginx\n`, /resources\.a\.unit: "nginx" is not a unit name with its type/],
    ['a relative mount point', `  a:\n    kind: mount\n    follows: VI_1\n    device: /dev/sdb1\n    mountPoint: data\n    fsType: ext4\n`, /resources\.a\.mountPoint: Expected an absolute path/],
    ['a kind key of another kind', `  a:\n    kind: systemd\n    follows: VI_1\n    unit: a.service\n    promote: /bin/true\n`, /resources\.a\.promote: Unknown key "promote"/],
    [
      'a before-promote resource before an after-promote one',
      `  web:\n    kind: exec\n    follows: VI_1\n    vip: before-promote\n    promote: /bin/true\n  db:\n    kind: exec\n    follows: VI_1\n    promote: /bin/true\n`,
      /resources\.web\.vip: Resource "web" \(vip: before-promote\) is listed before "db" \(vip: after-promote\)/,
    ],
    ['a resource defined twice', `  - { name: a, kind: exec, follows: VI_1, promote: /bin/true }\n  - { name: a, kind: exec, follows: VI_1, promote: /bin/true }\n`, /Resource "a" is already defined at test\.yaml/],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}, naming the key and line`, () => {
      assert.throws(() => parse(text), (err: Error) => {
        assert.match(err.message, /^test\.yaml:\d+: /);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

describe('keepalivedConf: resources added to an unchanged keepalived.conf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-res-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keepalived.conf'), 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.0.0.10/24\n  }\n}\n');

  it('takes the instances from the keepalived.conf (relative to the YAML file) and the resources from the YAML', async () => {
    writeFileSync(join(dir, 'resources.yaml'), 'keepalivedConf: keepalived.conf\nresources:\n  app:\n    kind: exec\n    follows: VI_1\n    promote: /bin/true\n');
    const { config } = await loadYamlConfig(join(dir, 'resources.yaml'));
    assert.deepEqual(config.instances.map((i) => i.name), ['VI_1']);
    assert.equal(config.instances[0]?.vips[0]?.address, '10.0.0.10');
    assert.deepEqual(config.resources?.map((r) => r.name), ['app']);
  });

  it('refuses instances, checks or globals beside keepalivedConf', async () => {
    writeFileSync(join(dir, 'mixed.yaml'), 'keepalivedConf: keepalived.conf\ninstances: {}\n');
    await assert.rejects(loadYamlConfig(join(dir, 'mixed.yaml')), /mixed\.yaml:1: instances: With keepalivedConf, instances come from the keepalived\.conf; this file may only add resources/);
  });

  it('resolves follows against the keepalived.conf', async () => {
    writeFileSync(join(dir, 'wrong.yaml'), 'keepalivedConf: keepalived.conf\nresources:\n  app:\n    kind: exec\n    follows: VI_2\n    promote: /bin/true\n');
    await assert.rejects(loadYamlConfig(join(dir, 'wrong.yaml')), /wrong\.yaml:5: resources\.app\.follows: No instance or sync group named "VI_2" \(did you mean 'VI_1'\?\)/);
  });
});

describe('lagAlarm: the replication-lag alarm of a resource', () => {
  const withAlarm = (alarm: string) => parse(`
  files:
    kind: exec
    follows: VI_1
    promote: /bin/true
    lagAlarm: ${alarm}
`);

  it('reads thresholds and delays; absent means no alarm', () => {
    assert.deepEqual(withAlarm('{ lag: 5s }').config.resources?.[0]?.lagAlarm, { lagMs: 5000, forMs: 10_000, clearAfterMs: 10_000 });
    assert.deepEqual(withAlarm('{ lag: 1.5s, bytes: 67108864, for: 0s, clearAfter: 30s }').config.resources?.[0]?.lagAlarm, { lagMs: 1500, bytes: 67_108_864, forMs: 0, clearAfterMs: 30_000 });
    assert.equal(parse('  app:\n    kind: exec\n    follows: VI_1\n    promote: /bin/true\n').config.resources?.[0]?.lagAlarm, undefined);
  });

  const bad: Array<[string, RegExp]> = [
    ['{}', /resources\.files\.lagAlarm: lagAlarm needs a threshold: lag \(a duration, e\.g\. 5s\) and\/or bytes/],
    ['{ for: 5s }', /lagAlarm needs a threshold/],
    ['5s', /resources\.files\.lagAlarm: Expected a mapping/],
    ['{ lag: 5 }', /resources\.files\.lagAlarm\.lag: Lag alarm threshold 5 ms is out of range/],
    ['{ lag: soon }', /resources\.files\.lagAlarm\.lag: Expected a duration/],
    ['{ bytes: 0 }', /resources\.files\.lagAlarm\.bytes: Lag alarm bytes 0 is out of range/],
    ['{ bytes: 1.5 }', /resources\.files\.lagAlarm\.bytes: Expected an integer/],
    ['{ lag: 5s, for: -1s }', /resources\.files\.lagAlarm\.for: /],
    ['{ lag: 5s, seconds: 5 }', /resources\.files\.lagAlarm\.seconds: Unknown key "seconds".*known keys here: lag, bytes, for, clearAfter/],
  ];
  for (const [alarm, message] of bad) {
    it(`refuses lagAlarm: ${alarm}, naming the key and line`, () => {
      assert.throws(() => withAlarm(alarm), (err: Error) => {
        assert.match(err.message, /^test\.yaml:\d+: /);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
