/**
 * Cross-check with the real thing: for each configuration, what keepalived 2.2.7 itself derives
 * (its `-d` dump: priorities, start states, intervals, preemption, addresses, tracking, GARP) must
 * match our model. Needs root (network namespace) and /usr/sbin/keepalived; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckKind } from '../../src/config/check-model.js';
import type { HotstandbyConfig, InstanceConfig, VipConfig } from '../../src/config/model.js';
import { conf } from './helpers.js';
import { keepalivedDump, oracleUnavailable, parseDump, type DumpedInstance } from './keepalived-oracle.js';

/** A VIP the way keepalived prints it. */
function vipLine(vip: VipConfig): string {
  const defaultPrefix = vip.family === 4 ? 32 : 128;
  const prefix = vip.prefixLength === defaultPrefix ? '' : `/${vip.prefixLength}`;
  const brd = vip.broadcast ? ` brd ${vip.broadcast}` : '';
  const label = vip.label ? ` label ${vip.label}` : '';
  return `${vip.address}${prefix}${brd} dev ${vip.device} scope ${vip.scope}${label}`;
}

function asDumped(config: HotstandbyConfig, instance: InstanceConfig): DumpedInstance {
  const checkWeight = (name: string): number => config.checks.find((c) => c.name === name)?.weight ?? 0;
  const tracked = (kind: CheckKind, format: (name: string, weight: number) => string): string[] =>
    instance.trackChecks
      .filter((t) => config.checks.find((c) => c.name === t.name)?.kind === kind)
      .map((t) => format(t.name, t.weight ?? checkWeight(t.name)));
  const dumped: DumpedInstance = {
    name: instance.name,
    version: instance.version,
    wantState: instance.initialState,
    priority: instance.priority,
    advertIntervalMs: instance.advertIntervalMs,
    accept: instance.accept,
    preempt: instance.preempt,
    preemptDelayMs: instance.preemptDelayMs,
    vips: instance.vips.filter((v) => !v.excluded).map(vipLine),
    excludedVips: instance.vips.filter((v) => v.excluded).map(vipLine),
    unicastPeers: instance.unicastPeers,
    trackInterfaces: instance.trackInterfaces.map((t) => `${t.name} weight ${t.weight}`),
    trackScripts: tracked('exec', (name, weight) => `${name} weight ${weight}`),
    trackFiles: tracked('file', (name, weight) => `${name}, weight ${weight}`),
    trackProcesses: tracked('process', (name, weight) => `${name}, weight ${weight}`),
    garp: [instance.garp.masterDelayMs, instance.garp.masterRepeat, instance.garp.masterRefreshMs, instance.garp.masterRefreshRepeat],
  };
  // Without refreshes the refresh repeat means nothing (keepalived's vrrp_min_garp prints 0).
  if (dumped.garp[2] === 0) dumped.garp[3] = -1;
  if (instance.authPass !== undefined) dumped.authPass = instance.authPass;
  return dumped;
}

const scenarios: Record<string, string> = {
  'sync groups, address owners and tracking weights': `
vrrp_script weighted {
  script /bin/true
  weight 10
}
vrrp_script plain {
  script /bin/true
}
vrrp_sync_group G {
  group { A B }
}
vrrp_instance A {
  state MASTER
  priority 150
  interface eth0
  virtual_router_id 1
  track_script {
    weighted
    plain
  }
  track_interface {
    eth1 weight 5
  }
  virtual_ipaddress { 10.99.0.11 }
}
vrrp_instance B {
  state MASTER
  interface eth0
  virtual_router_id 2
  virtual_ipaddress { 10.99.0.12 }
}
vrrp_instance C {
  priority 255
  interface eth1
  virtual_router_id 3
  track_script {
    weighted
    plain weight 0
  }
  track_interface {
    eth0 weight -5
    eth1
  }
  virtual_ipaddress { 10.99.1.13 }
}
vrrp_instance D {
  state MASTER
  interface eth1
  virtual_router_id 4
  track_script {
    plain weight -7
  }
  virtual_ipaddress { 10.99.1.14 }
}
`,
  'tracked files and processes, their default weights, and the sync group and owner rules for files': `
track_file f_default {
  file /tmp/hotstandby-oracle-f1
}
track_file f_neg {
  file /tmp/hotstandby-oracle-f2
  weight -7
}
vrrp_track_file f_zero {
  file /tmp/hotstandby-oracle-f3
  weight 0
}
vrrp_track_process p_default {
  process hotstandby-nope
}
vrrp_track_process p_weighted {
  process /usr/sbin/hotstandby-nope --flag "two words"
  weight -254
  quorum 2
}
vrrp_sync_group G {
  group { A B }
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  track_file {
    f_default
    f_neg
    f_zero weight 1
  }
  virtual_ipaddress { 10.99.0.11 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  track_process {
    p_default
  }
  virtual_ipaddress { 10.99.0.12 }
}
vrrp_instance C {
  priority 255
  interface eth1
  virtual_router_id 3
  track_file {
    f_default
    f_neg weight 1
    f_zero weight 254
  }
  track_process {
    p_default
  }
  virtual_ipaddress { 10.99.1.13 }
}
vrrp_instance D {
  interface eth1
  virtual_router_id 4
  track_file {
    f_default weight 3
    f_neg
    f_zero
  }
  track_process {
    p_default weight 12
    p_weighted
  }
  virtual_ipaddress { 10.99.1.14 }
}
`,
  'defaults, versions and interval rounding': `
global_defs {
  vrrp_version 3
  vrrp_garp_master_delay 7
  vrrp_garp_master_repeat 2
  vrrp_garp_master_refresh 30
  vrrp_garp_master_refresh_repeat 3
}
vrrp_instance V3 {
  interface eth0
  virtual_router_id 1
  advert_int 0.333
  garp_master_delay 1
  virtual_ipaddress { 10.99.0.21 }
}
vrrp_instance V2 {
  interface eth0
  virtual_router_id 2
  version 2
  advert_int 1.6
  virtual_ipaddress { 10.99.0.22 }
}
vrrp_instance V6 {
  interface eth1
  virtual_router_id 2
  virtual_ipaddress {
    fe80::22
    fd00:99::22/64
  }
}
`,
  'preemption rules': `
global_defs {
  vrrp_min_garp
}
vrrp_instance P1 {
  state MASTER
  state BACKUP
  priority 100
  interface eth0
  virtual_router_id 1
  nopreempt
  preempt_delay 4
  virtual_ipaddress { 10.99.0.31 }
}
vrrp_instance P2 {
  priority 255
  nopreempt
  interface eth0
  virtual_router_id 2
  virtual_ipaddress { 10.99.0.32 }
}
vrrp_instance P3 {
  interface eth0
  virtual_router_id 3
  preempt_delay 2.5
  no_accept
  virtual_ipaddress { 10.99.0.33 }
}
vrrp_instance P4 {
  interface eth0
  virtual_router_id 4
  nopreempt
  virtual_ipaddress { 10.99.0.34 }
}
`,
  'sync group start states': `
vrrp_sync_group G { group { A B } }
vrrp_sync_group H { group { C D } }
vrrp_sync_group I { group { E F } }
vrrp_instance A { priority 255
 interface eth0
 virtual_router_id 1
 virtual_ipaddress { 10.99.0.51 } }
vrrp_instance B { state BACKUP
 priority 255
 interface eth0
 virtual_router_id 2
 virtual_ipaddress { 10.99.0.52 } }
vrrp_instance C { priority 255
 interface eth0
 virtual_router_id 3
 virtual_ipaddress { 10.99.0.53 } }
vrrp_instance D { priority 100
 interface eth0
 virtual_router_id 4
 virtual_ipaddress { 10.99.0.54 } }
vrrp_instance E { priority 255
 interface eth0
 virtual_router_id 5
 virtual_ipaddress { 10.99.0.55 } }
vrrp_instance F { priority 255
 state MASTER
 interface eth0
 virtual_router_id 6
 virtual_ipaddress { 10.99.0.56 } }
vrrp_instance G { priority 150
 state MASTER
 interface eth0
 virtual_router_id 7
 virtual_ipaddress { 10.99.0.57 } }
`,
  'addresses, unicast and authentication': `
vrrp_instance A1 {
  interface eth0
  virtual_router_id 1
  unicast_src_ip 10.99.0.1
  unicast_peer {
    10.99.0.2
  }
  authentication {
    auth_type PASS
    auth_pass "p q"r
  }
  virtual_ipaddress {
    10.99.0.41/24 brd 10.99.0.255 dev eth1 label eth1:vip scope link
    10.99.0.42
    10.99.0.43/24 brd +
  }
  virtual_ipaddress_excluded {
    fd00:99::41/64
    fd00:99::42
  }
}
vrrp_instance A2{
  interface eth0
  virtual_router_id 2
  authentication {
    auth_type PASS
    auth_pass 'quoted-long'
  }
  virtual_ipaddress{10.99.0.44 dev eth0}}
`,
};

for (const [title, text] of Object.entries(scenarios)) {
  test(`keepalived 2.2.7 derives the same: ${title}`, async (t) => {
    const reason = oracleUnavailable();
    if (reason) {
      t.skip(reason);
      return;
    }
    const { config } = await conf(text);
    const dumped = (await keepalivedDump(text)).map((d) => (d.garp[2] === 0 ? { ...d, garp: [d.garp[0], d.garp[1], 0, -1] as number[] } : d));
    assert.deepEqual(
      config.instances.map((i) => asDumped(config, i)),
      dumped,
    );
  });
}

test('the dump parser keeps a list whose entries a log message of the other process interrupted', () => {
  const stamp = 'Tue Nov 24 01:46:50 2026: ';
  const dump = [
    '------< VRRP Topology >------',
    ' VRRP Instance = A',
    '   Virtual IP (2):',
    '     10.99.0.11 dev eth0 scope global',
    'Startup complete',
    '     10.99.0.12 dev eth0 scope global',
    '   Priority = 150',
    '------< Interfaces >------',
  ].map((line) => stamp + line);
  const [instance] = parseDump(dump.join('\n'));
  assert.deepEqual(instance?.vips, ['10.99.0.11 dev eth0 scope global', '10.99.0.12 dev eth0 scope global']);
  assert.equal(instance?.priority, 150);
});
