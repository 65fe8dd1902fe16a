/**
 * Route, rule and macvlan requests against their bytes (struct rtmsg / fib_rule_hdr / ifinfomsg
 * and attributes, in the host's byte order) and back through the decoders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import * as K from '../../src/net/netlink/constants.js';
import { decodeRoute, encodeRouteRequest, type RouteSpec } from '../../src/net/netlink/route.js';
import { decodeRule, encodeRuleRequest, type RuleSpec } from '../../src/net/netlink/rule.js';
import { decodeMacvlan, encodeLinkDeleteRequest, encodeLinkUpRequest, encodeMacvlanCreateRequest } from '../../src/net/netlink/macvlan.js';
import { decodeIfInfoMsg } from '../../src/net/netlink/link.js';

const le = endianness() === 'LE';
/** A 32-bit host-order integer as hex. */
function u32(n: number): string {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return b.toString('hex');
}
function u16(n: number): string {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b.toString('hex');
}

const viaRoute: RouteSpec = {
  family: 4,
  destination: '192.168.110.0',
  prefixLength: 24,
  type: 'unicast',
  nextHops: [{ gateway: '192.168.200.254', ifindex: 7 }],
  preferredSource: '192.168.200.16',
  metric: 5,
  table: 100,
  protocol: K.RTPROT_KEEPALIVED,
};

const multipathRoute: RouteSpec = {
  family: 4,
  destination: '192.168.113.0',
  prefixLength: 24,
  type: 'unicast',
  nextHops: [{ gateway: '192.168.100.252' }, { gateway: '192.168.100.253', ifindex: 4 }],
  table: 254,
  protocol: 18,
};

test('a route with gateway, device, source, metric and table encodes to rtmsg and attributes', () => {
  const expected = [
    // rtmsg: AF_INET, dst_len 24, src_len 0, tos 0, table 100, proto 18, scope universe, unicast, flags 0
    '02', '18', '00', '00', '64', '12', '00', '01', u32(0),
    u16(8) + u16(K.RTA_TABLE) + u32(100),
    u16(8) + u16(K.RTA_DST) + 'c0a86e00',
    u16(8) + u16(K.RTA_GATEWAY) + 'c0a8c8fe',
    u16(8) + u16(K.RTA_OIF) + u32(7),
    u16(8) + u16(K.RTA_PREFSRC) + 'c0a8c810',
    u16(8) + u16(K.RTA_PRIORITY) + u32(5),
  ].join('');
  assert.equal(encodeRouteRequest(viaRoute, 'add').toString('hex'), expected);
});

test('a delete leaves the scope as "any" (RT_SCOPE_NOWHERE), as ip route del does', () => {
  const payload = encodeRouteRequest(viaRoute, 'delete');
  assert.equal(payload[6], K.RT_SCOPE_NOWHERE);
  assert.equal(encodeRouteRequest(viaRoute, 'add')[6], K.RT_SCOPE_UNIVERSE);
});

test('routes round-trip: device-only (scope link), blackhole, default route, big table, IPv6, multipath', () => {
  const specs: RouteSpec[] = [
    { family: 4, destination: '192.168.111.0', prefixLength: 24, type: 'unicast', nextHops: [{ ifindex: 3 }], table: 254, protocol: 3 },
    { family: 4, destination: '192.168.113.1', prefixLength: 32, type: 'blackhole', nextHops: [], table: 254, protocol: 18 },
    { family: 4, destination: '0.0.0.0', prefixLength: 0, type: 'unicast', nextHops: [{ gateway: '192.168.0.1' }], table: 100, protocol: 18 },
    { family: 4, destination: '10.0.0.0', prefixLength: 8, type: 'prohibit', nextHops: [], table: 6909, protocol: 18, metric: 12 },
    { family: 6, destination: '2001:db8:1::', prefixLength: 48, type: 'unicast', nextHops: [{ gateway: 'fe80::1', ifindex: 2 }], table: 254, protocol: 18 },
    multipathRoute,
  ];
  for (const spec of specs) {
    const decoded = decodeRoute(encodeRouteRequest(spec, 'add'));
    const scope = spec.type === 'unicast' && !spec.nextHops.some((h) => h.gateway) ? K.RT_SCOPE_LINK : K.RT_SCOPE_UNIVERSE;
    assert.deepEqual(decoded, { ...spec, scope }, JSON.stringify(spec));
  }
  // Tables above 255 travel in RTA_TABLE; rtm_table says RT_TABLE_COMPAT.
  assert.equal(encodeRouteRequest(specs[3] as RouteSpec, 'add')[4], K.RT_TABLE_COMPAT);
});

test('multipath: one rtnexthop per hop, each with its gateway attribute', () => {
  const spec = multipathRoute;
  const hop = (gateway: string, ifindex: number) => u16(16) + '00' + '00' + u32(ifindex) + u16(8) + u16(K.RTA_GATEWAY) + gateway;
  const multipath = hop('c0a864fc', 0) + hop('c0a864fd', 4);
  const hex = encodeRouteRequest(spec, 'add').toString('hex');
  assert.ok(hex.endsWith(u16(4 + 32) + u16(K.RTA_MULTIPATH) + multipath), hex);
});

test('bad route specs are refused before anything is sent', () => {
  const base = viaRoute;
  assert.throws(() => encodeRouteRequest({ ...base, prefixLength: 33 }, 'add'), RangeError);
  assert.throws(() => encodeRouteRequest({ ...base, destination: '2001:db8::' }, 'add'), SyntaxError);
  assert.throws(() => encodeRouteRequest({ ...base, type: 'blackhole' }, 'add'), TypeError);
  assert.throws(() => encodeRouteRequest({ ...base, table: 0 }, 'add'), RangeError);
  assert.throws(() => encodeRouteRequest({ ...base, protocol: 256 }, 'add'), RangeError);
});

test('decodeRoute never throws on short or foreign input', () => {
  assert.equal(decodeRoute(Buffer.alloc(3)), undefined);
  const foreign = encodeRouteRequest(viaRoute, 'add');
  foreign[0] = 7;
  assert.equal(decodeRoute(foreign), undefined);
  const truncated = encodeRouteRequest(viaRoute, 'add').subarray(0, 30);
  assert.doesNotThrow(() => decodeRoute(truncated));
});

test('a rule from/to/table/priority/iif/oif/fwmark encodes to fib_rule_hdr and attributes', () => {
  const rule: RuleSpec = {
    family: 4,
    from: { address: '192.168.28.0', prefixLength: 24 },
    to: { address: '192.168.29.0', prefixLength: 26 },
    action: 'table',
    table: 2,
    priority: 39,
    iif: 'eth0',
    oif: 'eth1',
    fwmark: 24,
    fwmask: 12,
  };
  const str = (type: number, text: string) => u16(4 + text.length + 1) + u16(type) + Buffer.from(`${text}\0`).toString('hex') + '000000'.slice(0, ((4 - ((text.length + 1) % 4)) % 4) * 2);
  const expected = [
    '02', '1a', '18', '00', '02', '00', '00', '01', u32(0),
    u16(8) + u16(K.FRA_DST) + 'c0a81d00',
    u16(8) + u16(K.FRA_SRC) + 'c0a81c00',
    str(K.FRA_IIFNAME, 'eth0'),
    str(K.FRA_OIFNAME, 'eth1'),
    u16(8) + u16(K.FRA_PRIORITY) + u32(39),
    u16(8) + u16(K.FRA_FWMARK) + u32(24),
    u16(8) + u16(K.FRA_FWMASK) + u32(12),
    u16(8) + u16(K.FRA_TABLE) + u32(2),
  ].join('');
  assert.equal(encodeRuleRequest(rule).toString('hex'), expected);
  assert.deepEqual(decodeRule(encodeRuleRequest(rule)), rule);
});

test('rules round-trip: to-only, IPv6, blackhole, goto, big table', () => {
  const rules: RuleSpec[] = [
    { family: 4, to: { address: '192.168.200.0', prefixLength: 24 }, action: 'table', table: 2 },
    { family: 6, from: { address: '7:6:5:4:3:2::', prefixLength: 96 }, action: 'table', table: 6908 },
    { family: 4, from: { address: '10.1.0.0', prefixLength: 16 }, action: 'blackhole', priority: 100 },
    { family: 4, fwmark: 7, fwmask: 0xffffffff, action: 'goto', goto: 200, priority: 150, protocol: 18 },
  ];
  for (const rule of rules) assert.deepEqual(decodeRule(encodeRuleRequest(rule)), rule, JSON.stringify(rule));
  assert.throws(() => encodeRuleRequest({ family: 4, action: 'table' }), RangeError);
  assert.throws(() => encodeRuleRequest({ family: 4, action: 'blackhole', iif: 'a-very-long-ifname0' }), RangeError);
});

test('a macvlan create carries name, parent, MAC and IFLA_LINKINFO kind macvlan mode private', () => {
  const payload = encodeMacvlanCreateRequest({ name: 'vrrp.51', parentIndex: 3, mac: '00:00:5e:00:01:33', mode: 'private' });
  assert.deepEqual(decodeMacvlan(payload), { name: 'vrrp.51', parentIndex: 3, mac: '00:00:5e:00:01:33', kind: 'macvlan', mode: 'private' });
  const hex = payload.toString('hex');
  const linkInfo =
    u16(4 + 12 + 12) + u16(K.IFLA_LINKINFO | K.NLA_F_NESTED) +
    u16(12) + u16(K.IFLA_INFO_KIND) + Buffer.from('macvlan\0').toString('hex') +
    u16(12) + u16(K.IFLA_INFO_DATA | K.NLA_F_NESTED) + u16(8) + u16(K.IFLA_MACVLAN_MODE) + u32(K.MACVLAN_MODE_PRIVATE);
  assert.ok(hex.endsWith(linkInfo), hex);
  assert.ok(hex.includes(u16(10) + u16(K.IFLA_ADDRESS) + '00005e000133'), hex);
  assert.throws(() => encodeMacvlanCreateRequest({ name: 'vrrp 51', parentIndex: 3, mac: '00:00:5e:00:01:33', mode: 'private' }), RangeError);
  assert.throws(() => encodeMacvlanCreateRequest({ name: 'v', parentIndex: 3, mac: '00:00:5e:00:01', mode: 'private' }), SyntaxError);
});

test('link up and delete requests address the link by index', () => {
  assert.deepEqual(decodeIfInfoMsg(encodeLinkUpRequest(9, true)), { family: 0, type: 0, index: 9, flags: K.IFF_UP, change: K.IFF_UP });
  assert.deepEqual(decodeIfInfoMsg(encodeLinkUpRequest(9, false)), { family: 0, type: 0, index: 9, flags: 0, change: K.IFF_UP });
  assert.equal(decodeIfInfoMsg(encodeLinkDeleteRequest(9))?.index, 9);
});
