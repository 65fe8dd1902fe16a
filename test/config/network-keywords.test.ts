/**
 * virtual_routes, virtual_rules, use_vmac / vmac_xmit_base, dont_track_primary, vrrp_strict /
 * strict_mode and no_accept in keepalived.conf and YAML: what the model gets, keepalived 2.2.7's
 * strict-mode resets (taken from `keepalived -t` on its binary), and the refusals, each naming
 * file, line and keyword.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { CONF_FILE, YAML_FILE, conf, instanceCases, instanceConf, instanceYaml, testErrorCases, withoutSources, yaml } from './helpers.js';
import { parseRouteWords, parseRuleWords, routeText, ruleText } from '../../src/config/virtual-routes.js';

const at = { file: 'x.conf', line: 1 };

test('virtual_routes lines of keepalived\'s sample become routes: src, via/gw, or (multipath), dev, blackhole, table, metric', async () => {
  const { config } = await conf(
    instanceConf(
      [
        '    virtual_routes {',
        '        src 192.168.100.1 192.168.109.0/24 via 192.168.200.254 dev eth1',
        '        192.168.111.0/24 dev eth2 no_track',
        '        192.168.113.0/24 via 192.168.100.252 or 192.168.100.253',
        '        blackhole 192.168.113.1/32',
        '        0.0.0.0/0 gw 192.168.0.1 table 100',
        '        to 10.0.0.0/8 via 192.168.0.1 metric 7 scope link protocol static',
        '    }',
      ].join('\n'),
    ),
  );
  assert.deepEqual(withoutSources(config.instances[0]?.virtualRoutes), [
    { family: 4, destination: '192.168.109.0', prefixLength: 24, type: 'unicast', nextHops: [{ gateway: '192.168.200.254', device: 'eth1' }], table: 254, protocol: 18, preferredSource: '192.168.100.1' },
    { family: 4, destination: '192.168.111.0', prefixLength: 24, type: 'unicast', nextHops: [{ device: 'eth2' }], table: 254, protocol: 18 },
    { family: 4, destination: '192.168.113.0', prefixLength: 24, type: 'unicast', nextHops: [{ gateway: '192.168.100.252' }, { gateway: '192.168.100.253' }], table: 254, protocol: 18 },
    { family: 4, destination: '192.168.113.1', prefixLength: 32, type: 'blackhole', nextHops: [], table: 254, protocol: 18 },
    { family: 4, destination: '0.0.0.0', prefixLength: 0, type: 'unicast', nextHops: [{ gateway: '192.168.0.1' }], table: 100, protocol: 18 },
    { family: 4, destination: '10.0.0.0', prefixLength: 8, type: 'unicast', nextHops: [{ gateway: '192.168.0.1' }], table: 254, protocol: 4, metric: 7, scope: 'link' },
  ]);
});

test('virtual_rules: from/to/table/priority/iif/oif/fwmark; rules without a priority get 16384, 16383, ... with a warning', async () => {
  const { config, warnings } = await conf(
    instanceConf(
      [
        '    virtual_rules {',
        '        from 192.168.200.0/24 table 2',
        '        to 192.168.201.0/24 lookup main priority 300 iif eth0 oif eth1',
        '        fwmark 0x5/0xff table 3',
        '        from all to 10.1.0.0/16 blackhole',
        '    }',
      ].join('\n'),
    ),
  );
  assert.deepEqual(withoutSources(config.instances[0]?.virtualRules), [
    { family: 4, action: 'table', protocol: 18, from: { address: '192.168.200.0', prefixLength: 24 }, table: 2, priority: 16384 },
    { family: 4, action: 'table', protocol: 18, to: { address: '192.168.201.0', prefixLength: 24 }, table: 254, priority: 300, iif: 'eth0', oif: 'eth1' },
    { family: 4, action: 'table', protocol: 18, table: 3, priority: 16383, fwmark: 5, fwmask: 255 },
    { family: 4, action: 'blackhole', protocol: 18, to: { address: '10.1.0.0', prefixLength: 16 }, priority: 16382 },
  ]);
  assert.deepEqual(
    warnings.map((w) => `${w.source.line} ${w.message}`),
    [8, 10, 11].map((line, i) => `${line} Rule has no preference; it gets ${16384 - i}, as keepalived does`),
  );
});

test('route and rule text round-trips through the parser (what convert prints loads back)', () => {
  for (const line of ['src 192.0.2.1 blackhole 10.0.0.0/8 table 100 metric 3', '10.1.0.0/16 via 192.0.2.1 dev eth1 or 192.0.2.2 dev eth2 scope link protocol 4', '2001:db8::/32 via fe80::1 dev eth0']) {
    const route = parseRouteWords(line.split(' '), at, 'k');
    assert.deepEqual(parseRouteWords(routeText(route).split(' '), at, 'k'), route, line);
  }
  for (const line of ['from 10.0.0.0/8 to 10.1.0.0/16 table 100 priority 5 iif eth0 oif eth1 fwmark 3/7 tos 4', 'to 2001:db8::/32 goto 100 priority 50', 'from 10.0.0.1 prohibit priority 9 protocol 4']) {
    const rule = parseRuleWords(line.split(' '), at, 'k');
    assert.deepEqual(parseRuleWords(ruleText(rule).split(' '), at, 'k'), rule, line);
  }
});

test('use_vmac: vrrp.VRID with 00:00:5e:00:01:VRID; the VIPs without a dev go on it; a name, a 5-octet MAC, vmac_xmit_base', async () => {
  const plain = (await conf(instanceConf('    use_vmac'))).config.instances[0];
  assert.deepEqual(plain?.vmac, { name: 'vrrp.51', mac: '00:00:5e:00:01:33', xmitBase: false });
  assert.equal(plain?.vips[0]?.device, 'vrrp.51');
  const text = instanceConf('    use_vmac vmac51 02:00:00:00:00\n    vmac_xmit_base\n    virtual_ipaddress_excluded {\n        192.0.2.20 dev eth1\n    }');
  const named = (await conf(text)).config.instances[0];
  assert.deepEqual(named?.vmac, { name: 'vmac51', mac: '02:00:00:00:00:33', xmitBase: true });
  assert.deepEqual(named?.vips.map((v) => v.device), ['vmac51', 'eth1']);
});

test('dont_track_primary sets trackPrimary false; the default tracks it', async () => {
  assert.equal((await conf(instanceConf('    dont_track_primary'))).config.instances[0]?.trackPrimary, false);
  assert.equal((await conf(instanceConf(''))).config.instances[0]?.trackPrimary, true);
});

test('vrrp_strict resets what keepalived 2.2.7 resets, each with a warning on its line', async () => {
  // keepalived -t on this text: "State MASTER must match being address owner", "Strict mode does
  // not support authentication. Ignoring.", "preempt_delay is incompatible with strict mode - resetting".
  const text = `global_defs {\n  vrrp_strict\n}\n${instanceConf('    state MASTER\n    priority 100\n    preempt_delay 5\n    authentication {\n        auth_type PASS\n        auth_pass 1111\n    }\n    accept')}`;
  const { config, warnings } = await conf(text);
  const instance = config.instances[0];
  assert.equal(instance?.initialState, 'BACKUP');
  assert.equal(instance?.authPass, undefined);
  assert.equal(instance?.preemptDelayMs, 0);
  // accept on a version 2 instance: "accept mode for VRRP version 2 does not comply with RFC3768 - resetting".
  assert.equal(instance?.accept, false);
  const lines = warnings.map((w) => `${w.source.line} ${w.message}`);
  for (const expected of [/^10 state MASTER without priority 255/, /^15 Authentication is not allowed/, /^12 preempt_delay is not allowed/, /^17 accept mode is not part of VRRP version 2/]) {
    assert.ok(lines.some((l) => expected.test(l)), `${expected} in ${lines.join('\n')}`);
  }
});

test('strict mode without accept/no_accept: accept only at priority 255 (the daemon then drops traffic to the VIPs); strict_mode off overrides vrrp_strict', async () => {
  const owner = await conf(`global_defs {\n  vrrp_strict\n}\n${instanceConf('    priority 255')}`);
  assert.equal(owner.config.instances[0]?.accept, true);
  assert.deepEqual(owner.warnings, []);
  // The RHEL sample's shape: vrrp_strict, state MASTER, priority 100.
  const backup = await conf(`global_defs {\n  vrrp_strict\n}\n${instanceConf('    state MASTER\n    priority 100')}`);
  assert.equal(backup.config.instances[0]?.accept, false);
  const off = await conf(`global_defs {\n  vrrp_strict\n}\n${instanceConf('    strict_mode off\n    state MASTER\n    priority 100')}`);
  assert.equal(off.config.instances[0]?.initialState, 'MASTER');
  assert.equal(off.config.instances[0]?.accept, true);
});

test('no_accept is Accept_Mode off; the default is on, as keepalived without strict mode', async () => {
  assert.equal((await conf(instanceConf('    no_accept'))).config.instances[0]?.accept, false);
  assert.equal((await conf(instanceConf(''))).config.instances[0]?.accept, true);
});

test('YAML: virtualRoutes, virtualRules, vmac, trackPrimary, strict give the same model as keepalived.conf', async () => {
  const fromYaml = yaml(
    `global:\n  strict: true\n${instanceYaml(
      [
        '    priority: 255',
        '    virtualRoutes: ["src 192.0.2.10 198.51.100.0/24 via 192.0.2.1 dev eth0", "blackhole 203.0.113.0/24"]',
        '    virtualRules: ["from 192.0.2.0/24 table 100 priority 10"]',
        '    vmac: { name: vm51 }',
        '    trackPrimary: false',
      ].join('\n'),
    ).replace('instances:\n  web:', 'instances:\n  VI_1:')}`,
  ).config;
  const fromConf = (
    await conf(
      `global_defs {\n  vrrp_strict\n}\n${instanceConf(
        '    priority 255\n    virtual_routes {\n        src 192.0.2.10 198.51.100.0/24 via 192.0.2.1 dev eth0\n        blackhole 203.0.113.0/24\n    }\n    virtual_rules {\n        from 192.0.2.0/24 table 100 priority 10\n    }\n    use_vmac vm51\n    dont_track_primary',
      )}`,
    )
  ).config;
  assert.deepEqual(withoutSources(fromYaml.instances), withoutSources(fromConf.instances));
  assert.equal(yaml(instanceYaml('    vmac: true')).config.instances[0]?.vmac?.name, 'vrrp.51');
});

const inInstance = instanceCases(instanceConf);
testErrorCases(
  'keepalived.conf network keyword error',
  [
    inInstance('route with host bits set', '    virtual_routes {\n        10.0.0.1/8 via 192.0.2.1\n    }', 8, 'virtual_routes', /"10\.0\.0\.1\/8" has host bits set/),
    inInstance('route option not supported', '    virtual_routes {\n        10.0.0.0/8 via 192.0.2.1 mtu 1400\n    }', 8, 'virtual_routes', /Route option "mtu" is not supported/),
    inInstance('route nexthop syntax', '    virtual_routes {\n        10.0.0.0/8 nexthop via 192.0.2.1\n    }', 8, 'virtual_routes', /"nexthop" is not supported/),
    inInstance('route without gateway or device', '    virtual_routes {\n        10.0.0.0/8\n    }', 8, 'virtual_routes', /without a gateway or device/),
    inInstance('route mixing families', '    virtual_routes {\n        10.0.0.0/8 via 2001:db8::1\n    }', 8, 'virtual_routes', /mixes IPv4 and IPv6/),
    inInstance('blackhole with gateway', '    virtual_routes {\n        blackhole 10.0.0.0/8 via 192.0.2.1\n    }', 8, 'virtual_routes', /blackhole route takes no gateway/),
    // keepalived's own sample keepalived.conf.vrrp.rules has this line.
    inInstance('rule with a broken address (the sample\'s "192.168.200./24")', '    virtual_rules {\n        to 192.168.200./24 table 2\n    }', 8, 'virtual_rules', /"192\.168\.200\.\/24" is not an address/),
    inInstance('rule without action', '    virtual_rules {\n        from 10.0.0.0/8\n    }', 8, 'virtual_rules', /Rule without an action/),
    inInstance('rule option not supported', '    virtual_rules {\n        from 10.0.0.0/8 table 1 uidrange 1-2\n    }', 8, 'virtual_rules', /Rule option "uidrange" is not supported/),
    inInstance('use_vmac with unicast peers and no vmac_xmit_base', '    use_vmac\n    unicast_peer {\n        192.0.2.2\n    }', 7, 'use_vmac', /needs vmac_xmit_base/),
    inInstance('use_vmac with a bad MAC', '    use_vmac 00:00:5e:zz:01', 7, 'use_vmac', /not a MAC address/),
    {
      title: 'use_vmac on an IPv6 instance',
      text: 'vrrp_instance V6 {\n    interface eth0\n    virtual_router_id 51\n    use_vmac\n    virtual_ipaddress {\n        fe80::1\n    }\n}\n',
      line: 4,
      key: 'use_vmac',
      message: /IPv4 instances only/,
    },
    {
      // keepalived: "(C) No VIP specified; at least one is required", and it exits.
      title: 'strict mode without a virtual address',
      text: 'global_defs {\n  vrrp_strict\n}\nvrrp_instance C {\n    interface eth0\n    virtual_router_id 51\n}\n',
      line: 4,
      key: 'vrrp_strict',
      message: /strict mode requires at least one/,
    },
  ],
  (text) => conf(text),
  CONF_FILE,
);

testErrorCases(
  'YAML network key error',
  [
    { title: 'virtualRoutes entry', text: instanceYaml('    virtualRoutes: ["10.0.0.0/8 via nowhere"]'), line: 6, key: 'instances.web.virtualRoutes[0]', message: /"nowhere" is not an IP address/ },
    { title: 'vmac of the wrong type', text: instanceYaml('    vmac: 3'), line: 6, key: 'instances.web.vmac', message: /true, or a mapping/ },
  ],
  (text) => yaml(text),
  YAML_FILE,
);

test('keepalived\'s routes sample loads; its rules sample is refused for its "192.168.200./24" line', async (t) => {
  const samples = '/usr/share/doc/keepalived/samples';
  const routes = await readFile(`${samples}/keepalived.conf.vrrp.routes`, 'utf8').catch(() => undefined);
  const rules = await readFile(`${samples}/keepalived.conf.vrrp.rules`, 'utf8').catch(() => undefined);
  if (routes === undefined || rules === undefined) {
    t.skip('keepalived\'s samples are not installed');
    return;
  }
  const loaded = await conf(routes);
  assert.equal(loaded.config.instances[0]?.virtualRoutes.length, 7);
  await assert.rejects(conf(rules), /keepalived\.conf:26: virtual_rules: "192\.168\.200\.\/24" is not an address/);
});
