/**
 * Keywords we understand but do not implement, and keepalived's own corrections, are warnings
 * naming file and line; the configuration still loads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigWarning, HotstandbyConfig } from '../../src/config/model.js';
import { CONF_FILE, conf, instanceConf } from './helpers.js';

interface Row {
  title: string;
  text: string;
  line: number;
  message: RegExp;
  /** Also check what the configuration became. */
  then?: (config: HotstandbyConfig) => void;
}

const inInstance = (title: string, body: string, line: number, message: RegExp, then?: Row['then']): Row => ({
  title,
  text: instanceConf(body),
  line,
  message,
  ...(then ? { then } : {}),
});

const rows: Row[] = [
  inInstance('smtp_alert', '    smtp_alert', 7, /"smtp_alert" in vrrp_instance ignored: email alerts are not sent/),
  inInstance('dont_track_primary', '    dont_track_primary', 7, /"dont_track_primary" in vrrp_instance ignored/),
  inInstance('debug', '    debug 2', 7, /"debug" in vrrp_instance ignored/),
  inInstance('garp_lower_prio_repeat', '    garp_lower_prio_repeat 2', 7, /ignored: extra gratuitous ARP/),
  inInstance('unknown keyword with a suggestion', '    priorty 200', 7, /Unknown keyword "priorty" in vrrp_instance ignored \(did you mean 'priority'\?\)/, (c) =>
    assert.equal(c.instances[0]?.priority, 100),
  ),
  inInstance('unknown keyword without a suggestion', '    frobnicate', 7, /Unknown keyword "frobnicate" in vrrp_instance ignored$/),
  inInstance('extra words after a value', '    priority 100 200', 7, /Extra words after priority ignored: 200/, (c) => assert.equal(c.instances[0]?.priority, 100)),
  inInstance('min_ttl of a unicast peer', '    unicast_peer {\n        192.0.2.2 min_ttl 250\n    }', 8, /min_ttl\/max_ttl of unicast peer 192\.0\.2\.2 ignored/),
  inInstance('unicast_ttl without peers', '    unicast_ttl 5', 7, /Unicast TTL has no effect without unicast peers/),
  inInstance('IPv6 label', '    virtual_ipaddress_excluded {\n        2001:db8::5 label eth0:x\n    }', 8, /Label "eth0:x" ignored: labels exist only for IPv4/),
  inInstance('VIP no_track flag', '    virtual_ipaddress {\n        192.0.2.20 no_track\n    }', 8, /"no_track" ignored/),
  inInstance('repeated VIP', '    virtual_ipaddress {\n        192.0.2.10/24\n    }', 8, /Address 192\.0\.2\.10 is listed twice .*also at \/etc\/keepalived\/keepalived\.conf:5/),
  inInstance('v2 advert_int rounded', '    advert_int 2.5', 7, /Advert interval 2\.5s rounded to 3s: VRRP version 2 carries whole seconds/),
  inInstance('v3 advert_int rounded', '    version 3\n    advert_int 0.125', 8, /Advert interval 125ms rounded to 130ms: VRRP version 3 carries units of 10 ms/),
  inInstance('long password truncated', '    authentication {\n        auth_type PASS\n        auth_pass 123456789\n    }', 9, /Password truncated to its first 8 characters/),
  inInstance('auth_pass without auth_type', '    authentication {\n        auth_pass abc\n    }', 8, /auth_pass without "auth_type PASS" is ignored/, (c) =>
    assert.equal(c.instances[0]?.authPass, undefined),
  ),
  inInstance('state MASTER without priority', '    state MASTER', 7, /state MASTER and no priority: priority 255/),
  inInstance('nopreempt with the address owner', '    priority 255\n    nopreempt', 8, /Preemption cannot be turned off for the address owner/, (c) =>
    assert.equal(c.instances[0]?.preempt, true),
  ),
  inInstance('nopreempt with state MASTER', '    state MASTER\n    priority 100\n    nopreempt', 9, /does not work with initial state MASTER/, (c) => assert.equal(c.instances[0]?.preempt, true)),
  inInstance('preempt_delay with nopreempt', '    nopreempt\n    preempt_delay 5', 8, /preempt delay has no effect with preemption off/, (c) =>
    assert.equal(c.instances[0]?.preemptDelayMs, 0),
  ),
  inInstance('tracking the own interface', '    track_interface {\n        eth0\n    }', 8, /it is the instance's own interface/, (c) => assert.deepEqual(c.instances[0]?.trackInterfaces, [])),
  inInstance('notify user', '    notify_master /bin/m root', 7, /User\/group "root" of notify_master ignored/),
  inInstance('second notify_master', '    notify_master /bin/a\n    notify_master /bin/b', 8, /notify_master is already set/, (c) => assert.equal(c.instances[0]?.notify.master, '/bin/a')),
  {
    title: 'native_ipv6',
    text: 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n native_ipv6\n virtual_ipaddress {\n  fd00::1\n }\n}\n',
    line: 4,
    message: /native_ipv6 is deprecated/,
  },
  {
    title: 'a v2 instance without VIPs',
    text: 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}\n',
    line: 1,
    message: /has no advertised virtual address/,
  },
  {
    title: 'script words after the command',
    text: `vrrp_script chk {\n script /bin/check arg\n}\n${instanceConf('    track_script {\n        chk\n    }')}`,
    line: 2,
    message: /Words after the script command ignored, as keepalived does: arg/,
    then: (c) => assert.deepEqual(c.scripts[0]?.command, ['/bin/check']),
  },
  { title: 'script interval 0', text: 'vrrp_script chk {\n script /bin/true\n interval 0\n}\n', line: 3, message: /interval 0 is treated as 1 second/, then: (c) => assert.equal(c.scripts[0]?.intervalMs, 1000) },
  { title: 'unused script', text: 'vrrp_script chk {\n script /bin/true\n}\n', line: 1, message: /Check "chk" is not used by any instance/ },
  { title: 'script group', text: 'vrrp_script chk {\n script /bin/true\n user nobody nogroup\n}\n', line: 3, message: /Group "nogroup" ignored/ },
  { title: 'global repeat 0', text: 'global_defs {\n vrrp_garp_master_repeat 0\n}\n', line: 2, message: /vrrp_garp_master_repeat 0 is treated as 1/, then: (c) => assert.equal(c.global.garp.masterRepeat, 1) },
  { title: 'email settings', text: 'global_defs {\n notification_email {\n  a@example.com\n }\n}\n', line: 2, message: /"notification_email" in global_defs ignored: email alerts are not sent/ },
  { title: 'SNMP', text: 'global_defs {\n enable_snmp_vrrp\n}\n', line: 2, message: /SNMP is not supported/ },
  { title: 'unknown global keyword', text: 'global_defs {\n router_idd x\n}\n', line: 2, message: /Unknown keyword "router_idd" in global_defs ignored \(did you mean 'router_id'\?\)/ },
  { title: 'virtual_server block skipped', text: 'virtual_server 192.0.2.1 80 {\n delay_loop 6\n real_server 10.0.0.1 80 {\n  weight 1\n }\n}\n', line: 1, message: /"virtual_server" in keepalived\.conf ignored: not part of VRRP/ },
  { title: 'static_ipaddress block skipped', text: 'static_ipaddress {\n 192.0.2.9/24 dev eth0\n}\n', line: 1, message: /"static_ipaddress" in keepalived\.conf ignored/ },
  { title: 'unknown top-level block', text: 'vrrp_instanc VI_1 {\n}\n', line: 1, message: /Unknown keyword "vrrp_instanc" in keepalived\.conf ignored \(did you mean 'vrrp_instance'\?\)/ },
  {
    title: 'sync group with one member',
    text: `vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n${instanceConf('')}`,
    line: 1,
    message: /Sync group "G" has only one instance/,
  },
  {
    title: 'weighted script dropped in a sync group (keepalived 2.2.7)',
    text: `vrrp_script chk {\n script /bin/true\n weight 10\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n}\n${instanceConf('    track_script {\n        chk\n    }')}`,
    line: 17,
    message: /Weighted tracking of check "chk" is ignored in instance "VI_1": it is in a sync group/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackScripts, []),
  },
  {
    title: 'interface weight zeroed in a sync group (keepalived 2.2.7)',
    text: `vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n${instanceConf('    track_interface {\n        eth1 weight 5\n    }')}`,
    line: 13,
    message: /Weight of tracked interface "eth1" is ignored .*down means FAULT/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackInterfaces, [{ name: 'eth1', weight: 0 }]),
  },
  {
    title: 'weighted tracking dropped for the address owner (keepalived 2.2.7)',
    text: instanceConf('    priority 255\n    track_interface {\n        eth1 weight 5\n        eth2\n    }'),
    line: 9,
    message: /Weighted tracking of interface "eth1" is ignored in instance "VI_1": it is the address owner/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackInterfaces, [{ name: 'eth2', weight: 0 }]),
  },
  {
    title: 'same VIP in two instances',
    text: instanceConf('') + instanceConf('    virtual_router_id 52', 'VI_2'),
    line: 13,
    message: /Address 192\.0\.2\.10 is managed by instances "VI_1" and "VI_2"/,
  },
];

function findWarning(warnings: readonly ConfigWarning[], row: Row): ConfigWarning {
  const found = warnings.find((w) => row.message.test(w.message));
  assert.ok(found, `no warning matching ${row.message} in:\n${warnings.map((w) => `${w.source.line}: ${w.message}`).join('\n')}`);
  return found;
}

for (const row of rows) {
  test(`keepalived.conf warning: ${row.title}`, async () => {
    const { config, warnings } = await conf(row.text);
    const warning = findWarning(warnings, row);
    assert.deepEqual(warning.source, { file: CONF_FILE, line: row.line });
    row.then?.(config);
  });
}

test('a clean configuration has no warnings', async () => {
  const { warnings } = await conf(instanceConf('    priority 150\n    advert_int 2'));
  assert.deepEqual(warnings, []);
});
