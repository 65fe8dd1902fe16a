/**
 * Every supported keepalived keyword, one row each: the configuration text and the model value it
 * must produce (keepalived 2.2.7 semantics and defaults).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecCheckConfig } from '../../src/config/check-model.js';
import type { HotstandbyConfig, InstanceConfig } from '../../src/config/model.js';
import { conf, instanceConf } from './helpers.js';

interface Row {
  title: string;
  text: string;
  get: (config: HotstandbyConfig) => unknown;
  want: unknown;
}

const first = (c: HotstandbyConfig): InstanceConfig => c.instances[0] as InstanceConfig;
const exec = (c: HotstandbyConfig): ExecCheckConfig => {
  const check = c.checks[0];
  assert.equal(check?.kind, 'exec');
  return check as ExecCheckConfig;
};
const inst = (body: string, get: (i: InstanceConfig) => unknown, want: unknown, title: string): Row => ({
  title,
  text: instanceConf(body),
  get: (c) => get(first(c)),
  want,
});
const v6 = (body: string): string =>
  `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  fd00:99::1\n }\n${body}\n}\n`;

const rows: Row[] = [
  // Defaults
  inst('', (i) => i.priority, 100, 'priority defaults to 100'),
  inst('', (i) => i.advertIntervalMs, 1000, 'advert_int defaults to 1 s'),
  inst('', (i) => i.version, 2, 'version defaults to 2'),
  inst('', (i) => i.preempt, true, 'preempt defaults to on'),
  inst('', (i) => i.accept, true, 'accept defaults to on (keepalived without strict mode)'),
  inst('', (i) => i.unicastTtl, 255, 'unicast_ttl defaults to 255'),
  inst('', (i) => i.initialState, 'BACKUP', 'state defaults to BACKUP below priority 255'),
  inst('', (i) => [i.garp.masterDelayMs, i.garp.masterRepeat, i.garp.masterRefreshMs, i.garp.masterRefreshRepeat, i.garp.intervalMs], [5000, 5, 0, 1, 0], 'garp defaults: delay 5 s, repeat 5, no refresh'),
  inst('', (i) => [i.vips[0]?.prefixLength, i.vips[0]?.device, i.vips[0]?.scope], [32, 'eth0', 'global'], 'IPv4 VIP defaults: /32 on the instance interface, scope global'),
  { title: 'IPv6 VIP defaults to /128 and version 3', text: v6(''), get: (c) => [first(c).vips[0]?.prefixLength, first(c).version, first(c).family], want: [128, 3, 6] },

  // vrrp_instance keywords
  inst('    state MASTER\n    priority 100', (i) => i.initialState, 'MASTER', 'state MASTER'),
  inst('    state BACKUP', (i) => i.initialState, 'BACKUP', 'state BACKUP'),
  inst('    state MASTER', (i) => i.priority, 255, 'state MASTER without priority makes the address owner (keepalived)'),
  inst('    priority 255', (i) => i.initialState, 'MASTER', 'priority 255 starts as MASTER (RFC 5798 §6.4.1)'),
  inst('    priority 200', (i) => i.priority, 200, 'priority'),
  inst('    interface bond0.12', (i) => i.interface, 'bond0.12', 'interface (later line wins)'),
  inst('    virtual_router_id 7', (i) => i.vrid, 7, 'virtual_router_id'),
  inst('    advert_int 3', (i) => i.advertIntervalMs, 3000, 'advert_int in seconds'),
  inst('    advert_int 1.6', (i) => i.advertIntervalMs, 2000, 'advert_int rounded to whole seconds with v2'),
  inst('    advert_int 0.2', (i) => i.advertIntervalMs, 1000, 'advert_int below 1 s becomes 1 s with v2'),
  inst('    version 3\n    advert_int 0.25', (i) => i.advertIntervalMs, 250, 'fractional advert_int with v3'),
  inst('    version 3\n    advert_int 0.333', (i) => i.advertIntervalMs, 330, 'advert_int rounded to 10 ms with v3'),
  inst('    version 3\n    advert_int 0.004', (i) => i.advertIntervalMs, 10, 'advert_int below 10 ms becomes 10 ms with v3'),
  inst('    version 3', (i) => i.version, 3, 'version 3'),
  inst('    version 2', (i) => i.version, 2, 'version 2'),
  inst('    nopreempt', (i) => i.preempt, false, 'nopreempt'),
  inst('    nopreempt\n    preempt', (i) => i.preempt, true, 'preempt after nopreempt'),
  inst('    preempt_delay 2.5', (i) => i.preemptDelayMs, 2500, 'preempt_delay in (fractional) seconds'),
  inst('    no_accept', (i) => i.accept, false, 'no_accept'),
  inst('    no_accept\n    accept', (i) => i.accept, true, 'accept'),
  inst('    authentication {\n        auth_type PASS\n        auth_pass secret\n    }', (i) => i.authPass, 'secret', 'authentication PASS'),
  inst('    authentication {\n        auth_type PASS\n        auth_pass 0123456789\n    }', (i) => i.authPass, '01234567', 'auth_pass truncated to 8 characters'),
  inst(`    authentication {\n        auth_type PASS\n        auth_pass 'quoted'\n    }`, (i) => i.authPass, "'quoted'", 'single quotes are part of a plain word (keepalived)'),
  inst('    unicast_src_ip 192.0.2.1\n    unicast_peer {\n        192.0.2.2\n        192.0.2.3\n    }', (i) => [i.unicastSourceAddress, i.unicastPeers], ['192.0.2.1', ['192.0.2.2', '192.0.2.3']], 'unicast_src_ip and unicast_peer'),
  inst('    mcast_src_ip 192.0.2.1', (i) => [i.unicastSourceAddress, i.unicastPeers], ['192.0.2.1', []], 'mcast_src_ip sets the advert source address'),
  inst('    unicast_peer {\n        192.0.2.2\n    }\n    unicast_ttl 10', (i) => i.unicastTtl, 10, 'unicast_ttl'),
  inst('    unicast_peer {\n        192.0.2.2\n    }', (i) => [i.checkUnicastSource, i.unicastPeerTtl], [true, {}], 'the unicast source is checked by default, any TTL from a peer'),
  inst('    unicast_peer {\n        192.0.2.2 min_ttl 250\n        192.0.2.3 max_ttl 64 min_ttl 60\n        192.0.2.4\n    }', (i) => [i.unicastPeers, i.unicastPeerTtl], [
    ['192.0.2.2', '192.0.2.3', '192.0.2.4'],
    { '192.0.2.2': { min: 250, max: 255 }, '192.0.2.3': { min: 60, max: 64 } },
  ], 'unicast_peer min_ttl / max_ttl per peer (keepalived defaults 0 and 255)'),
  inst('    check_unicast_src\n    unicast_peer {\n        192.0.2.2\n    }', (i) => i.checkUnicastSource, true, 'check_unicast_src (on anyway)'),
  inst('    track_interface {\n        eth1\n        eth2 weight -10\n        eth3 weight 5 noreverse\n    }', (i) => i.trackInterfaces, [
    { name: 'eth1', weight: 0 },
    { name: 'eth2', weight: -10 },
    { name: 'eth3', weight: 5 },
  ], 'track_interface with weights'),
  {
    title: 'track_script with and without weight',
    text: `vrrp_script a {\n script /bin/true\n}\nvrrp_script b {\n script /bin/true\n}\n${instanceConf('    track_script {\n        a\n        b weight 12\n    }')}`,
    get: (c) => first(c).trackChecks,
    want: [{ name: 'a' }, { name: 'b', weight: 12 }],
  },
  inst('    notify_master /usr/local/bin/to-master', (i) => i.notify.master, '/usr/local/bin/to-master', 'notify_master unquoted'),
  inst('    notify_backup "/usr/local/bin/notify backup \'web 1\'"', (i) => i.notify.backup, "/usr/local/bin/notify backup 'web 1'", 'notify_backup quoted with arguments'),
  inst('    notify_fault "/bin/echo \\"x\\" \\x41"', (i) => i.notify.fault, '/bin/echo "x" A', 'notify_fault with escapes'),
  inst('    notify_stop /usr/local/bin/stop', (i) => i.notify.stop, '/usr/local/bin/stop', 'notify_stop'),
  inst('    notify "/usr/local/bin/any state"', (i) => i.notify.generic, '/usr/local/bin/any state', 'notify (generic)'),
  inst('    garp_master_delay 2\n    garp_master_repeat 3\n    garp_master_refresh 30\n    garp_master_refresh_repeat 4', (i) => [i.garp.masterDelayMs, i.garp.masterRepeat, i.garp.masterRefreshMs, i.garp.masterRefreshRepeat], [2000, 3, 30_000, 4], 'garp_master_* per instance'),
  inst('    v3_checksum_as_v2\n    version 3', (i) => i.v3ChecksumExcludesPseudoHeader, true, 'v3_checksum_as_v2 (keepalived >= 2.2.8)'),
  inst('    strict_mode off', (i) => i.vrid, 51, 'strict_mode off is accepted'),

  // Virtual addresses
  inst('    virtual_ipaddress {\n        192.0.2.20/24 brd 192.0.2.255 dev eth1 scope link label eth1:vip\n    }', (i) => i.vips[1], {
    address: '192.0.2.20', family: 4, prefixLength: 24, device: 'eth1', label: 'eth1:vip', scope: 'link', broadcast: '192.0.2.255', excluded: false,
    source: { file: '/etc/keepalived/keepalived.conf', line: 8 },
  }, 'VIP with every option'),
  inst('    virtual_ipaddress {\n        192.0.2.20/24 brd +\n        192.0.2.21/24 brd -\n    }', (i) => [i.vips[1]?.broadcast, i.vips[2]?.broadcast], ['192.0.2.255', '192.0.2.0'], 'brd + and brd -'),
  inst('    virtual_ipaddress_excluded {\n        2001:DB8:0::0:1/64\n    }', (i) => [i.family, i.vips[1]?.address, i.vips[1]?.excluded, i.vips[1]?.family], [4, '2001:db8::1', true, 6], 'excluded VIP of the other family, canonical IPv6'),
  inst('    virtual_ipaddress {\n        192.0.2.10\n    }', (i) => i.vips.length, 1, 'a repeated VIP is ignored'),
  {
    title: 'virtual_ipaddress on one line with braces attached',
    text: 'vrrp_instance VI_1{\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress{192.0.2.10}}\n',
    get: (c) => first(c).vips.map((v) => v.address),
    want: ['192.0.2.10'],
  },

  // global_defs
  {
    title: 'global_defs VRRP settings',
    text: `global_defs {\n router_id lb1\n vrrp_mcast_group4 224.0.0.19\n vrrp_mcast_group6 ff02::13\n script_user nobody\n enable_script_security\n}\n${instanceConf('')}`,
    get: (c) => ({ ...c.global, garp: undefined }),
    want: { routerId: 'lb1', multicastGroup4: '224.0.0.19', multicastGroup6: 'ff02::13', scriptUser: 'nobody', enableScriptSecurity: true, garp: undefined, startupDelayMs: 0, processPriority: -10 },
  },
  {
    title: 'script_user with a group',
    text: `global_defs {\n script_user nobody nogroup\n}\n${instanceConf('')}`,
    get: (c) => [c.global.scriptUser, c.global.scriptGroup],
    want: ['nobody', 'nogroup'],
  },
  {
    title: 'vrrp_priority is the nice value of the daemon (negative)',
    text: `global_defs {\n vrrp_priority -15\n}\n${instanceConf('')}`,
    get: (c) => c.global.processPriority,
    want: -15,
  },
  {
    title: 'vrrp_priority 19 (the lowest priority)',
    text: `global_defs {\n vrrp_priority 19\n}\n${instanceConf('')}`,
    get: (c) => c.global.processPriority,
    want: 19,
  },
  {
    title: 'vrrp_startup_delay in fractional seconds',
    text: `global_defs {\n vrrp_startup_delay 5.5\n}\n${instanceConf('')}`,
    get: (c) => c.global.startupDelayMs,
    want: 5500,
  },
  {
    title: 'notify_fifo and notify_fifo_script (escaped like notify scripts)',
    text: `global_defs {\n notify_fifo /run/keepalived.fifo\n notify_fifo_script "/usr/local/bin/read-fifo --log 'a b'"\n}\n${instanceConf('')}`,
    get: (c) => [c.global.notifyFifo, c.global.notifyFifoScript],
    want: ['/run/keepalived.fifo', "/usr/local/bin/read-fifo --log 'a b'"],
  },
  {
    title: 'vrrp_notify_fifo and vrrp_notify_fifo_script',
    text: `global_defs {\n vrrp_notify_fifo /run/vrrp.fifo\n vrrp_notify_fifo_script /usr/local/bin/read-fifo\n}\n${instanceConf('')}`,
    get: (c) => [c.global.notifyFifo, c.global.notifyFifoScript],
    want: ['/run/vrrp.fifo', '/usr/local/bin/read-fifo'],
  },
  {
    title: 'global vrrp_version applies to IPv4 instances',
    text: `global_defs {\n vrrp_version 3\n}\n${instanceConf('    advert_int 0.1')}`,
    get: (c) => [first(c).version, first(c).advertIntervalMs],
    want: [3, 100],
  },
  {
    title: 'global vrrp_version 2 does not make an IPv6 instance version 2',
    text: `global_defs {\n vrrp_version 2\n}\n${v6('')}`,
    get: (c) => first(c).version,
    want: 3,
  },
  {
    title: 'global garp settings are the instance defaults',
    text: `global_defs {\n vrrp_garp_master_delay 10\n vrrp_garp_master_repeat 1\n vrrp_garp_master_refresh 60\n vrrp_garp_master_refresh_repeat 2\n vrrp_garp_interval 0.001\n}\n${instanceConf('    garp_master_repeat 3')}`,
    get: (c) => [c.global.garp, first(c).garp],
    want: [
      { masterDelayMs: 10_000, masterRepeat: 1, masterRefreshMs: 60_000, masterRefreshRepeat: 2, intervalMs: 1 },
      { masterDelayMs: 10_000, masterRepeat: 3, masterRefreshMs: 60_000, masterRefreshRepeat: 2, intervalMs: 1 },
    ],
  },
  {
    title: 'vrrp_gna_interval applies to IPv6 instances',
    text: `global_defs {\n vrrp_garp_interval 0.001\n vrrp_gna_interval 0.0025\n}\n${v6('')}`,
    get: (c) => first(c).garp.intervalMs,
    want: 2.5,
  },
  {
    title: 'vrrp_min_garp: one packet, no second burst',
    text: `global_defs {\n vrrp_min_garp\n}\n${instanceConf('')}`,
    get: (c) => [first(c).garp.masterRepeat, first(c).garp.masterDelayMs],
    want: [1, 0],
  },

  // vrrp_script
  {
    title: 'vrrp_script with every keyword',
    text: `vrrp_script chk {\n script "/usr/bin/check 'a b' c"\n interval 3\n timeout 2\n weight -20\n rise 4\n fall 5\n user nobody\n init_fail\n}\n${instanceConf('    track_script {\n        chk\n    }')}`,
    get: (c) => ({ ...c.checks[0], source: undefined }),
    want: { kind: 'exec', name: 'chk', command: ['/usr/bin/check', 'a b', 'c'], intervalMs: 3000, timeoutMs: 2000, weight: -20, rise: 4, fall: 5, user: 'nobody', initFail: true, source: undefined },
  },
  {
    title: 'vrrp_script user with a group',
    text: `vrrp_script chk {\n script /bin/true\n user nobody nogroup\n}\n${instanceConf('    track_script {\n        chk\n    }')}`,
    get: (c) => [exec(c).user, exec(c).group],
    want: ['nobody', 'nogroup'],
  },
  {
    title: 'vrrp_script without a user runs as script_user and its group',
    text: `global_defs {\n script_user runner staff\n}\nvrrp_script chk {\n script /bin/true\n}\nvrrp_script own {\n script /bin/true\n user nobody\n}\n${instanceConf('    track_script {\n        chk\n        own\n    }')}`,
    get: (c) => c.checks.map((k) => (k.kind === 'exec' ? [k.user, k.group] : [])),
    want: [
      ['runner', 'staff'],
      ['nobody', undefined],
    ],
  },
  {
    title: 'vrrp_script defaults: interval 1 s, timeout = interval, weight 0, rise/fall 1',
    text: `vrrp_script chk {\n script /bin/true\n interval 4\n}\n${instanceConf('    track_script {\n        chk\n    }')}`,
    get: (c) => [exec(c).intervalMs, exec(c).timeoutMs, exec(c).weight, exec(c).rise, exec(c).fall, exec(c).initFail, exec(c).user],
    want: [4000, 4000, 0, 1, 1, false, undefined],
  },

  // track_file / vrrp_track_file
  {
    title: 'track_file: file and weight; defaults from vrrp_script (interval 1 s, rise/fall 1)',
    text: `track_file tf {\n file /run/prio\n weight -3\n}\n${instanceConf('    track_file {\n        tf\n    }')}`,
    get: (c) => ({ ...c.checks[0], source: undefined }),
    want: { kind: 'file', name: 'tf', path: '/run/prio', intervalMs: 1000, timeoutMs: 1000, weight: -3, rise: 1, fall: 1, initFail: false, source: undefined },
  },
  {
    title: 'vrrp_track_file is a synonym; the weight defaults to 1',
    text: `vrrp_track_file tf {\n file "/run/a b"\n}\n${instanceConf('    track_file {\n        tf\n    }')}`,
    get: (c) => c.checks.map((k) => [k.kind, k.kind === 'file' ? k.path : '', k.weight]),
    want: [['file', '/run/a b', 1]],
  },
  {
    title: 'track_file in an instance, with and without weight',
    text: `track_file a {\n file /run/a\n}\ntrack_file b {\n file /run/b\n}\n${instanceConf('    track_file {\n        a weight 254\n        b weight -254 noreverse\n    }')}`,
    get: (c) => first(c).trackChecks,
    want: [
      { name: 'a', weight: 254 },
      { name: 'b', weight: -254 },
    ],
  },

  // vrrp_track_process
  {
    title: 'vrrp_track_process: process name, quorum, weight; keepalived default weight 0',
    text: `vrrp_track_process nginx {\n process nginx\n quorum 2\n}\nvrrp_track_process java {\n process java\n weight -30\n}\n${instanceConf('    track_process {\n        nginx\n        java weight 20\n    }')}`,
    get: (c) => [c.checks.map(({ source, ...k }) => k), first(c).trackChecks],
    want: [
      [
        { kind: 'process', name: 'nginx', match: { name: 'nginx' }, quorum: 2, intervalMs: 1000, timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false },
        { kind: 'process', name: 'java', match: { name: 'java' }, quorum: 1, intervalMs: 1000, timeoutMs: 1000, weight: -30, rise: 1, fall: 1, initFail: false },
      ],
      [{ name: 'nginx' }, { name: 'java', weight: 20 }],
    ],
  },
  {
    title: 'vrrp_track_process with parameters matches the whole command line',
    text: `vrrp_track_process p {\n process "/opt/my app/bin/run" -c "/etc/app.conf"\n}\n${instanceConf('    track_process {\n        p\n    }')}`,
    get: (c) => (c.checks[0]?.kind === 'process' ? c.checks[0].match : undefined),
    want: { commandLine: '/opt/my app/bin/run -c /etc/app.conf' },
  },
  {
    title: 'param_match without parameters: the program alone, with no arguments',
    text: `vrrp_track_process p {\n process /usr/sbin/haproxy\n param_match\n}\n${instanceConf('    track_process {\n        p\n    }')}`,
    get: (c) => (c.checks[0]?.kind === 'process' ? c.checks[0].match : undefined),
    want: { commandLine: '/usr/sbin/haproxy' },
  },
  {
    title: 'full_command with parameters is the same whole command line',
    text: `vrrp_track_process p {\n full_command\n process /usr/bin/java -jar app.jar\n}\n${instanceConf('    track_process {\n        p\n    }')}`,
    get: (c) => (c.checks[0]?.kind === 'process' ? c.checks[0].match : undefined),
    want: { commandLine: '/usr/bin/java -jar app.jar' },
  },
  {
    title: 'vrrp_track_process delays become rise and fall counts of 1 s looks',
    text: `vrrp_track_process a {\n process a\n delay 1.5\n}\nvrrp_track_process b {\n process b\n fork_delay 0.2\n terminate_delay 3\n}\n${instanceConf('    track_process {\n        a\n        b\n    }')}`,
    get: (c) => c.checks.map((k) => [k.name, k.rise, k.fall]),
    want: [
      ['a', 3, 3],
      ['b', 2, 4],
    ],
  },

  // vrrp_sync_group
  {
    title: 'vrrp_sync_group with members and notify scripts',
    text: `vrrp_sync_group G {\n group {\n  VI_1 VI_2\n }\n notify_master "/bin/g master"\n notify_backup /bin/g\n notify_fault /bin/f\n notify_stop /bin/s\n notify /bin/n\n}\n${instanceConf('')}${instanceConf('    virtual_router_id 52', 'VI_2')}`,
    get: (c) => ({ ...c.syncGroups[0], source: undefined }),
    want: { name: 'G', instances: ['VI_1', 'VI_2'], notify: { master: '/bin/g master', backup: '/bin/g', fault: '/bin/f', stop: '/bin/s', generic: '/bin/n' }, source: undefined },
  },
];

for (const row of rows) {
  test(`keepalived.conf: ${row.title}`, async () => {
    const { config } = await conf(row.text);
    assert.deepEqual(row.get(config), row.want);
  });
}
