/**
 * Every refusal and validation error of the keepalived.conf front end names the file, the line
 * and the keyword, with a message that says what is wrong.
 */
import { CONF_FILE, conf, instanceCases, instanceConf, testErrorCases, type ErrorCase } from './helpers.js';

/** Rows whose text is a minimal instance plus `body` (body starts on line 7). */
const inInstance = instanceCases(instanceConf);

const script = 'vrrp_script chk_web {\n script /bin/true\n}\n';

const rows: ErrorCase[] = [
  // Keywords whose absence would change failover behaviour: refused.
  { title: 'net_namespace (global_defs)', text: 'global_defs {\n  net_namespace blue\n}\n', line: 2, key: 'net_namespace', message: /not supported/ },
  { title: 'net_namespace (top level)', text: 'net_namespace blue\n', line: 1, key: 'net_namespace', message: /not supported/ },
  // Once a warning: the node would lack addresses keepalived configures (issue 10 §5).
  { title: 'static_ipaddress', text: 'static_ipaddress {\n 192.0.2.9/24 dev eth0\n}\n', line: 1, key: 'static_ipaddress', message: /static addresses are not configured by hotstandby/ },
  { title: 'vrrp_startup_delay not a number', text: 'global_defs {\n  vrrp_startup_delay soon\n}\n', line: 2, key: 'vrrp_startup_delay', message: /"soon" is not a number of seconds/ },
  { title: 'vrrp_startup_delay too long', text: 'global_defs {\n  vrrp_startup_delay 5000\n}\n', line: 2, key: 'vrrp_startup_delay', message: /Startup delay 5000000 ms is out of range: expected 0\.\.4294967 ms/ },
  { title: 'vrrp_down_timer_adverts other than 3', text: 'global_defs {\n  vrrp_down_timer_adverts 5\n}\n', line: 2, key: 'vrrp_down_timer_adverts', message: /3 adverts/ },
  { title: 'interface_up_down_delays', text: 'interface_up_down_delays {\n  eth0 1 2\n}\n', line: 1, key: 'interface_up_down_delays', message: /not supported/ },
  inInstance('auth_type AH', '    authentication {\n        auth_type AH\n        auth_pass x\n    }', 8, 'auth_type', /AH authentication is not supported/),
  inInstance('unknown auth_type', '    authentication {\n        auth_type SECRET\n    }', 8, 'auth_type', /Unknown authentication type "SECRET"/),
  inInstance('unknown keyword inside authentication', '    authentication {\n        auth_type PASS\n        auth_password x\n    }', 9, 'auth_password', /Unknown keyword "auth_password" in authentication \(did you mean 'auth_pass'\?\)/),
  inInstance('auth_type PASS without a password', '    authentication {\n        auth_type PASS\n    }', 8, 'auth_pass', /without a password/),
  inInstance('use_ipvlan', '    use_ipvlan', 7, 'use_ipvlan', /ipvlan/),
  inInstance('track_bfd', '    track_bfd {\n        b\n    }', 7, 'track_bfd', /BFD is not supported/),
  inInstance('mcast_dst_ip', '    mcast_dst_ip 224.0.0.19', 7, 'mcast_dst_ip', /multicast groups/),
  inInstance('vrf', '    vrf red', 7, 'vrf', /VRF/),
  inInstance('track_src_ip', '    track_src_ip', 7, 'track_src_ip', /FAULT when the source address is removed/),
  inInstance('promote_secondaries', '    promote_secondaries', 7, 'promote_secondaries', /promote_secondaries=1 with sysctl/),
  inInstance('down_timer_adverts other than 3', '    down_timer_adverts 4', 7, 'down_timer_adverts', /3 adverts/),
  inInstance('unicast_fault_no_peer without peers', '    unicast_fault_no_peer', 7, 'unicast_fault_no_peer', /without unicast peers/),
  inInstance('old_unicast_checksum', '    old_unicast_checksum', 7, 'old_unicast_checksum', /not supported/),
  inInstance('reverse track_interface weight', '    track_interface {\n        eth1 weight 10 reverse\n    }', 8, 'track_interface', /"reverse" tracking weights are not supported/),
  inInstance('unknown track_script option', `    track_script {\n        chk_web chk_db\n    }`, 8, 'track_script', /Unknown option "chk_db"/),
  { title: 'reverse vrrp_script weight', text: 'vrrp_script s {\n script /bin/true\n weight 10 reverse\n}\n', line: 3, key: 'weight', message: /"reverse" weights are not supported/ },
  { title: 'sync group tracking', text: 'vrrp_sync_group G {\n group {\n  VI_1\n }\n track_script {\n  s\n }\n}\n', line: 5, key: 'track_script', message: /sync group tracking is not supported/ },
  { title: 'sync_group_tracking_weight', text: 'vrrp_sync_group G {\n group {\n  VI_1\n }\n sync_group_tracking_weight\n}\n', line: 5, key: 'sync_group_tracking_weight', message: /not supported/ },
  inInstance('VIP peer option', '    virtual_ipaddress {\n        192.0.2.20 peer 192.0.2.21\n    }', 8, 'virtual_ipaddress', /"peer" is not supported/),
  inInstance('unknown VIP option', '    virtual_ipaddress {\n        192.0.2.20 device eth1\n    }', 8, 'virtual_ipaddress', /Unknown address option "device"/),

  // Syntax keepalived evaluates and we cannot.
  { title: 'conditional line', text: '@lb1 global_defs {\n}\n', line: 1, message: /Conditional configuration/ },
  { title: 'parameter definition', text: '$PRIO=100\n', line: 1, message: /Parameter definitions/ },
  { title: 'sequence block', text: '~SEQ(N, 1, 3) include x$N\n', line: 1, message: /Sequence blocks/ },
  { title: 'unsupported pre-defined parameter', text: instanceConf('    notify "/bin/echo ${_RANDOM 1 9}"'), line: 7, key: '${_RANDOM 1 9}', message: /not supported/ },
  { title: 'unmatched quote', text: instanceConf('    notify_master "/bin/echo'), line: 7, message: /Unmatched quote/ },
  { title: 'block never closed', text: 'global_defs {\n router_id x\nvrrp_instance VI_1 {\n interface eth0\n}\n', line: 1, key: 'global_defs', message: /never closed/ },
  { title: 'stray closing brace', text: 'global_defs {\n}\n}\n', line: 3, message: /closes no block/ },
  { title: 'brace without keyword', text: '{\n}\n', line: 1, message: /without a keyword/ },
  { title: 'block on a keyword that takes none', text: instanceConf('    priority {\n        100\n    }'), line: 7, key: 'priority', message: /does not take a \{ \} block/ },
  { title: 'value block missing', text: instanceConf('    track_script chk'), line: 7, key: 'track_script', message: /needs a \{ \} block/ },

  // Values.
  inInstance('priority not a number', '    priority high', 7, 'priority', /"high" is not a whole number/),
  inInstance('priority 0', '    priority 0', 7, 'priority', /Priority 0 is out of range: expected an integer 1\.\.255/),
  inInstance('priority 256', '    priority 256', 7, 'priority', /Priority 256 is out of range/),
  inInstance('VRID 0', '    virtual_router_id 0', 7, 'virtual_router_id', /Virtual router id 0 is out of range: expected an integer 1\.\.255/),
  inInstance('VRID 256', '    virtual_router_id 256', 7, 'virtual_router_id', /out of range/),
  inInstance('negative advert_int', '    advert_int -1', 7, 'advert_int', /not a number of seconds/),
  inInstance('advert_int 0', '    advert_int 0', 7, 'advert_int', /out of range for VRRP version 2/),
  inInstance('advert_int above 255 s with v2', '    advert_int 256', 7, 'advert_int', /out of range for VRRP version 2: expected more than 0 up to 255s/),
  inInstance('advert_int above 40.95 s with v3', '    version 3\n    advert_int 41', 8, 'advert_int', /out of range for VRRP version 3/),
  inInstance('preempt_delay above 1000 s', '    preempt_delay 1001', 7, 'preempt_delay', /out of range/),
  inInstance('unknown state', '    state PRIMARY', 7, 'state', /Unknown state "PRIMARY"/),
  inInstance('version 4', '    version 4', 7, 'version', /not a VRRP version/),
  inInstance('interface name too long', '    interface abcdefghijklmnopq', 7, 'interface', /"abcdefghijklmnopq" is not an interface name: at most 15 characters/),
  inInstance('tracked interface name with a slash', '    track_interface {\n        eth/1\n    }', 8, 'track_interface', /"eth\/1" is not an interface name/),
  inInstance('VIP device too long', '    virtual_ipaddress {\n        192.0.2.3 dev abcdefghijklmnopq\n    }', 8, 'virtual_ipaddress', /is not an interface name/),
  inInstance('bad VIP address', '    virtual_ipaddress {\n        192.0.2.300\n    }', 8, 'virtual_ipaddress', /"192\.0\.2\.300" is not an IPv4 or IPv6 address/),
  inInstance('VIP prefix 33', '    virtual_ipaddress {\n        192.0.2.20/33\n    }', 8, 'virtual_ipaddress', /Prefix length "33" of 192\.0\.2\.20 must be 0\.\.32/),
  inInstance('bad scope', '    virtual_ipaddress {\n        192.0.2.20 scope galaxy\n    }', 8, 'virtual_ipaddress', /Scope "galaxy"/),
  inInstance('bad unicast_src_ip', '    unicast_src_ip 192.0.2', 7, 'unicast_src_ip', /"192\.0\.2" is not an IP address/),
  inInstance('unicast_ttl 256', '    unicast_peer {\n        192.0.2.2\n    }\n    unicast_ttl 256', 10, 'unicast_ttl', /out of range/),
  inInstance('track_interface weight 300', '    track_interface {\n        eth1 weight 300\n    }', 8, 'track_interface', /Weight 300 is out of range: expected an integer -253\.\.253/),
  { title: 'vrrp_mcast_group4 not multicast', text: `global_defs {\n vrrp_mcast_group4 192.0.2.1\n}\n${instanceConf('')}`, line: 2, key: 'vrrp_mcast_group4', message: /not an IPv4 multicast address/ },
  { title: 'vrrp_mcast_group6 not link-local multicast', text: `global_defs {\n vrrp_mcast_group6 ff05::12\n}\n${instanceConf('')}`, line: 2, key: 'vrrp_mcast_group6', message: /link-local IPv6 multicast/ },
  { title: 'vrrp_version 4', text: 'global_defs {\n vrrp_version 4\n}\n', line: 2, key: 'vrrp_version', message: /not a VRRP version/ },
  { title: 'vrrp_script without script', text: `vrrp_script chk {\n interval 2\n}\n${instanceConf('    track_script {\n        chk\n    }')}`, line: 1, key: 'script', message: /Check "chk" has no command/ },
  { title: 'vrrp_script weight 254', text: 'vrrp_script chk {\n script /bin/true\n weight 254\n}\n', line: 3, key: 'weight', message: /Weight 254 is out of range/ },
  { title: 'vrrp_script rise 0', text: 'vrrp_script chk {\n script /bin/true\n rise 0\n}\n', line: 3, key: 'rise', message: /Rise 0 is out of range/ },
  inInstance('track_script weight 254 (keepalived: -253..253)', '    track_script {\n        chk weight 254\n    }', 8, 'track_script', /Weight 254 is out of range: expected an integer -253\.\.253/),
  { title: 'vrrp_script user without a name', text: 'vrrp_script chk {\n script /bin/true\n user\n}\n', line: 3, key: 'user', message: /Expected a user name/ },

  // track_file
  { title: 'track_file without file', text: 'track_file f {\n weight 2\n}\n', line: 1, key: 'file', message: /Check "f" has no file/ },
  { title: 'track_file relative path', text: 'track_file f {\n file run/f\n}\n', line: 2, key: 'file', message: /File "run\/f" is not an absolute path/ },
  { title: 'track_file weight 255', text: 'track_file f {\n file /run/f\n weight 255\n}\n', line: 3, key: 'weight', message: /Weight 255 is out of range: expected an integer -254\.\.254/ },
  { title: 'track_file reverse weight', text: 'track_file f {\n file /run/f\n weight 2 reverse\n}\n', line: 3, key: 'weight', message: /"reverse" weights are not supported/ },
  { title: 'init_file with a value', text: 'track_file f {\n file /run/f\n init_file 5\n}\n', line: 3, key: 'init_file', message: /init_file with a value or "overwrite" is not supported/ },
  { title: 'init_file overwrite', text: 'track_file f {\n file /run/f\n init_file overwrite\n}\n', line: 3, key: 'init_file', message: /not supported/ },
  { title: 'init_file unknown option', text: 'track_file f {\n file /run/f\n init_file always\n}\n', line: 3, key: 'init_file', message: /Unknown init_file option "always"/ },
  inInstance('track_file weight 255 in an instance', '    track_file {\n        f weight 255\n    }', 8, 'track_file', /Weight 255 is out of range: expected an integer -254\.\.254/),

  // vrrp_track_process
  { title: 'vrrp_track_process without process', text: 'vrrp_track_process p {\n quorum 2\n}\n', line: 1, key: 'process', message: /Check "p" has no process name, command line or PID file/ },
  { title: 'process given as a path', text: 'vrrp_track_process p {\n process /usr/sbin/nginx\n}\n', line: 2, key: 'process', message: /"\/usr\/sbin\/nginx" is a path, and a process name is the program's file name/ },
  { title: 'param_match partial', text: 'vrrp_track_process p {\n process nginx -g\n param_match partial\n}\n', line: 3, key: 'param_match', message: /param_match partial is not supported: hotstandby compares whole command lines/ },
  { title: 'param_match unknown', text: 'vrrp_track_process p {\n process nginx\n param_match all\n}\n', line: 3, key: 'param_match', message: /Unknown param_match "all"/ },
  { title: 'full_command without parameters', text: 'vrrp_track_process p {\n process /usr/sbin/nginx\n full_command\n}\n', line: 3, key: 'full_command', message: /full_command without parameters matches the program whatever its arguments/ },
  { title: 'quorum_max', text: 'vrrp_track_process p {\n process nginx\n quorum_max 1\n}\n', line: 3, key: 'quorum_max', message: /quorum_max is not supported/ },
  { title: 'quorum 0', text: 'vrrp_track_process p {\n process nginx\n quorum 0\n}\n', line: 3, key: 'quorum', message: /Quorum 0 is out of range: expected an integer 1\.\.65535/ },
  { title: 'delay 0', text: 'vrrp_track_process p {\n process nginx\n delay 0\n}\n', line: 3, key: 'delay', message: /delay 0 s is out of range: expected more than 0 up to 3600 s/ },
  { title: 'terminate_delay above an hour', text: 'vrrp_track_process p {\n process nginx\n terminate_delay 3601\n}\n', line: 3, key: 'terminate_delay', message: /out of range/ },
  { title: 'vrrp_track_process reverse weight', text: 'vrrp_track_process p {\n process nginx\n weight 3 reverse\n}\n', line: 3, key: 'weight', message: /"reverse" weights are not supported/ },
  inInstance('track_process reverse weight', '    track_process {\n        p weight 3 reverse\n    }', 8, 'track_process', /"reverse" tracking weights are not supported/),

  // global_defs notify FIFO
  { title: 'notify_fifo relative path', text: 'global_defs {\n notify_fifo keepalived.fifo\n}\n', line: 2, key: 'notify_fifo', message: /Notify FIFO "keepalived\.fifo" is not an absolute path/ },
  { title: 'notify_fifo and vrrp_notify_fifo differ', text: 'global_defs {\n notify_fifo /run/a.fifo\n vrrp_notify_fifo /run/b.fifo\n}\n', line: 3, key: 'vrrp_notify_fifo', message: /Only one notify FIFO is supported: notify_fifo \/run\/a\.fifo \(\/etc\/keepalived\/keepalived\.conf:2\) and vrrp_notify_fifo \/run\/b\.fifo name two/ },
  {
    title: 'two different FIFO scripts',
    text: 'global_defs {\n notify_fifo /run/a.fifo\n vrrp_notify_fifo /run/a.fifo\n notify_fifo_script /bin/a\n vrrp_notify_fifo_script /bin/b\n}\n',
    line: 5,
    key: 'vrrp_notify_fifo_script',
    message: /Only one notify FIFO script is supported/,
  },
  { title: 'notify_fifo without a path', text: 'global_defs {\n notify_fifo\n}\n', line: 2, key: 'notify_fifo', message: /Expected a FIFO path/ },
  { title: 'notify_fifo_script that does not split', text: 'global_defs {\n notify_fifo /run/a.fifo\n notify_fifo_script "/bin/reader \'a"\n}\n', line: 3, key: 'notify_fifo_script', message: /Unterminated single quote/ },
  inInstance('notify command that does not split', '    notify_master "/bin/notify \'a"', 7, 'notify_master', /Unterminated single quote/),
  { title: 'vrrp_instance without a name', text: 'vrrp_instance {\n}\n', line: 1, key: 'vrrp_instance', message: /Expected an instance name/ },

  // Cross-checks.
  { title: 'interface missing', text: 'vrrp_instance VI_1 {\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n', line: 1, key: 'interface', message: /Instance "VI_1" has no interface/ },
  { title: 'virtual_router_id missing', text: 'vrrp_instance VI_1 {\n interface eth0\n}\n', line: 1, key: 'vrid', message: /no virtual router id/ },
  {
    title: 'duplicate VRID on the same interface and family',
    text: instanceConf('') + instanceConf('    virtual_ipaddress {\n        192.0.2.11\n    }', 'VI_2'),
    line: 9,
    key: 'vrid',
    message: /Instances "VI_1" \(\/etc\/keepalived\/keepalived\.conf:1\) and "VI_2" both use VRID 51 for IPv4 on interface eth0/,
  },
  {
    title: 'duplicate instance names',
    text: instanceConf('') + instanceConf('    virtual_router_id 52'),
    line: 9,
    key: 'name',
    message: /Instance "VI_1" is already defined at \/etc\/keepalived\/keepalived\.conf:1/,
  },
  inInstance('IPv4 and IPv6 VIPs mixed', '    virtual_ipaddress {\n        2001:db8::1\n    }', 8, undefined, /IPv6 address 2001:db8::1 is mixed with IPv4 addresses \(first at \/etc\/keepalived\/keepalived\.conf:5\)/),
  {
    title: 'version 2 with IPv6 VIPs',
    text: 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n version 2\n virtual_ipaddress {\n  fd00::1\n }\n}\n',
    line: 4,
    key: 'version',
    message: /VRRP version 2 cannot carry IPv6/,
  },
  inInstance('authentication with version 3', '    version 3\n    authentication {\n        auth_type PASS\n        auth_pass x\n    }', 10, 'auth_pass', /Authentication is VRRP version 2 only/),
  { title: 'version 3 without advertised VIPs', text: 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n version 3\n}\n', line: 1, message: /needs at least one/ },
  inInstance('unicast peer of the other family', '    unicast_peer {\n        2001:db8::2\n    }', 8, 'unicast_peer', /IPv6 unicast peer 2001:db8::2 does not match the IPv4 adverts/),
  inInstance('unicast peer is the source address', '    unicast_src_ip 192.0.2.1\n    unicast_peer {\n        192.0.2.1\n    }', 9, 'unicast_peer', /own source address/),
  {
    title: 'unknown track_script name',
    text: script + instanceConf('    track_script {\n        chk_wbe\n    }'),
    line: 11,
    key: 'track_script',
    message: /tracks check "chk_wbe", which is not defined \(did you mean 'chk_web'\?\)/,
  },
  {
    title: 'track_script naming a track_file',
    text: 'track_file chk {\n file /run/f\n}\n' + instanceConf('    track_script {\n        chk\n    }'),
    line: 11,
    key: 'track_script',
    message: /Instance "VI_1" tracks "chk" as an exec check, but "chk" \(\/etc\/keepalived\/keepalived\.conf:1\) is a file check/,
  },
  {
    title: 'unknown track_file name suggests track files only',
    text: 'track_file maint {\n file /run/f\n}\nvrrp_script mains {\n script /bin/true\n}\n' + instanceConf('    track_file {\n        main\n    }'),
    line: 14,
    key: 'track_file',
    message: /tracks check "main", which is not defined \(did you mean 'maint'\?\)/,
  },
  {
    title: 'a vrrp_script and a track_file of the same name',
    text: 'vrrp_script chk {\n script /bin/true\n}\ntrack_file chk {\n file /run/f\n}\n',
    line: 4,
    key: 'name',
    message: /Check "chk" is already defined at \/etc\/keepalived\/keepalived\.conf:1 as an exec check \(check names are shared by all kinds\)/,
  },
  {
    title: 'sync group naming an unknown instance',
    text: `vrrp_sync_group G {\n group {\n  VI_1\n  VI_3\n }\n}\n${instanceConf('')}`,
    line: 4,
    key: 'group',
    message: /Sync group "G" names instance "VI_3", which is not defined \(did you mean 'VI_1'\?\)/,
  },
  {
    title: 'instance in two sync groups',
    text: `vrrp_sync_group G {\n group {\n  VI_1\n }\n}\nvrrp_sync_group H {\n group {\n  VI_1\n }\n}\n${instanceConf('')}`,
    line: 8,
    key: 'group',
    message: /already in sync group "G"/,
  },
];

testErrorCases('keepalived.conf error', rows, conf, CONF_FILE);
