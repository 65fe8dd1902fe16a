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
  inInstance('smtp_alert without a server', '    smtp_alert', 7, /smtp_alert sends no mail without recipients and a server/, (c) => assert.equal(c.instances[0]?.smtpAlert, true)),
  inInstance('debug', '    debug 2', 7, /"debug" in vrrp_instance ignored/),
  {
    title: 'vrrp_rt_priority: says why realtime scheduling is not used',
    text: `global_defs {\n vrrp_rt_priority 50\n}\n${instanceConf('')}`,
    line: 2,
    message: /vrrp_rt_priority.*ignored: realtime scheduling is not used: a realtime daemon that spins would starve everything else.*nice value instead \(vrrp_priority, default -10\)/,
    then: (c) => assert.equal(c.global.processPriority, -10),
  },
  inInstance('garp_extra_if', '    garp_extra_if eth1 5', 7, /ignored: extra gratuitous ARP/),
  inInstance('unknown keyword with a suggestion', '    priorty 200', 7, /Unknown keyword "priorty" in vrrp_instance ignored \(did you mean 'priority'\?\)/, (c) =>
    assert.equal(c.instances[0]?.priority, 100),
  ),
  inInstance('unknown keyword without a suggestion', '    frobnicate', 7, /Unknown keyword "frobnicate" in vrrp_instance ignored$/),
  inInstance('extra words after a value', '    priority 100 200', 7, /Extra words after priority ignored: 200/, (c) => assert.equal(c.instances[0]?.priority, 100)),
  inInstance('unicast_ttl without peers', '    unicast_ttl 5', 7, /Unicast TTL has no effect without unicast peers/),
  {
    title: 'IPv6 unicast peers by global address without a source address (they send from link-local)',
    text: 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  2001:db8::10\n }\n unicast_peer {\n  2001:db8::2\n }\n}\n',
    line: 8,
    message: /IPv6 unicast peers of instance "VI_1" send from their link-local address unless they set a source address/,
  },
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
    then: (c) => assert.deepEqual(c.checks[0]?.kind === 'exec' && c.checks[0].command, ['/bin/check']),
  },
  { title: 'script interval 0', text: 'vrrp_script chk {\n script /bin/true\n interval 0\n}\n', line: 3, message: /interval 0 is treated as 1 second/, then: (c) => assert.equal(c.checks[0]?.intervalMs, 1000) },
  { title: 'unused script', text: 'vrrp_script chk {\n script /bin/true\n}\n', line: 1, message: /Check "chk" is not used by any instance/ },
  { title: 'global repeat 0', text: 'global_defs {\n vrrp_garp_master_repeat 0\n}\n', line: 2, message: /vrrp_garp_master_repeat 0 is treated as 1/, then: (c) => assert.equal(c.global.garp.masterRepeat, 1) },
  { title: 'LVS checker mail', text: 'global_defs {\n notification_email {\n  a@example.com\n }\n smtp_alert_checker\n}\n', line: 5, message: /"smtp_alert_checker" in global_defs ignored: LVS checker alerts/, then: (c) => assert.deepEqual(c.global.mail?.to, ['a@example.com']) },
  { title: 'empty notification_email', text: 'global_defs {\n notification_email {\n }\n}\n', line: 2, message: /Empty notification_email block/ },
  { title: 'SNMP', text: 'global_defs {\n enable_snmp_vrrp\n}\n', line: 2, message: /SNMP is not supported/ },
  { title: 'unknown global keyword', text: 'global_defs {\n router_idd x\n}\n', line: 2, message: /Unknown keyword "router_idd" in global_defs ignored \(did you mean 'router_id'\?\)/ },
  { title: 'virtual_server block skipped', text: 'virtual_server 192.0.2.1 80 {\n delay_loop 6\n real_server 10.0.0.1 80 {\n  weight 1\n }\n}\n', line: 1, message: /"virtual_server" in keepalived\.conf ignored: not part of VRRP/ },
  { title: 'static_routes block skipped', text: 'static_routes {\n 10.0.0.0/8 via 192.0.2.1\n}\n', line: 1, message: /"static_routes" in keepalived\.conf ignored/ },
  { title: 'sync group notify_deleted', text: `vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n notify_deleted\n}\n${instanceConf('')}${instanceConf('    interface eth1', 'VI_2')}`, line: 6, message: /"notify_deleted" in vrrp_sync_group ignored/ },
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
    then: (c) => assert.deepEqual(c.instances[0]?.trackChecks, []),
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
    title: 'track_file of weight 1 keeps tracking with weight 0 in a sync group (keepalived 2.2.7)',
    text: `track_file f {\n file /run/f\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n}\n${instanceConf('    track_file {\n        f\n    }')}`,
    line: 16,
    message: /Weight of tracked file check "f" is ignored in instance "VI_1" \(it is in a sync group\): a non-zero number in the file means FAULT/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackChecks, [{ name: 'f', weight: 0 }]),
  },
  {
    title: 'track_file of another weight is dropped for the address owner (keepalived 2.2.7)',
    text: `track_file f {\n file /run/f\n}\n${instanceConf('    priority 255\n    track_file {\n        f weight -2\n    }')}`,
    line: 12,
    message: /Weighted tracking of check "f" is ignored in instance "VI_1": it is the address owner/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackChecks, []),
  },
  {
    title: 'weighted track_process dropped in a sync group (keepalived 2.2.7 keeps it, against its documentation)',
    text: `vrrp_track_process p {\n process nginx\n weight 4\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n}\n${instanceConf('    track_process {\n        p\n    }')}`,
    line: 17,
    message: /Weighted tracking of check "p" is ignored in instance "VI_1": it is in a sync group/,
    then: (c) => assert.deepEqual(c.instances[0]?.trackChecks, []),
  },
  { title: 'init_file without a value', text: 'track_file f {\n file /run/f\n init_file\n}\n', line: 3, message: /init_file ignored: a missing file reads as 0/ },
  {
    title: 'a second file in track_file',
    text: 'track_file f {\n file /run/f\n file /run/g\n}\n',
    line: 3,
    message: /file is already set \(\/etc\/keepalived\/keepalived\.conf:2\); this one is ignored, as keepalived does/,
    then: (c) => assert.equal(c.checks[0]?.kind === 'file' && c.checks[0].path, '/run/f'),
  },
  {
    title: 'a second process in vrrp_track_process',
    text: 'vrrp_track_process p {\n process nginx\n process apache2\n}\n',
    line: 3,
    message: /process is already set .*this one is ignored/,
    then: (c) => assert.deepEqual(c.checks[0]?.kind === 'process' && c.checks[0].match, { name: 'nginx' }),
  },
  { title: 'terminate_delay approximated', text: 'vrrp_track_process p {\n process nginx\n terminate_delay 2\n}\n', line: 3, message: /terminate_delay 2s becomes fall 3: the process is looked for every 1s/ },
  {
    title: 'process name longer than the kernel keeps',
    text: 'vrrp_track_process p {\n process averyveryverylongname\n}\n',
    line: 2,
    message: /Process name "averyveryverylongname" is longer than the kernel keeps: only "averyveryverylo" \(15 bytes\) is compared/,
  },
  { title: 'notify_fifo owner', text: 'global_defs {\n notify_fifo /run/k.fifo nobody\n}\n', line: 2, message: /User\/group "nobody" of notify_fifo ignored/ },
  { title: 'notify_fifo_script without its FIFO', text: 'global_defs {\n vrrp_notify_fifo /run/v.fifo\n notify_fifo_script /bin/reader\n}\n', line: 3, message: /notify_fifo_script ignored: it reads the notify_fifo FIFO, which is not set/, then: (c) => assert.equal(c.global.notifyFifoScript, undefined) },
  { title: 'notify_fifo and vrrp_notify_fifo naming one FIFO', text: 'global_defs {\n notify_fifo /run/k.fifo\n vrrp_notify_fifo /run/k.fifo\n}\n', line: 3, message: /name the same FIFO/, then: (c) => assert.equal(c.global.notifyFifo, '/run/k.fifo') },
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
