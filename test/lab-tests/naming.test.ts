import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hostIpv4,
  hostIpv6,
  hostMac,
  namespaceName,
  parseNamespaceName,
  switchInterfaces,
  validateHostNames,
  vipIpv4,
  vipIpv6,
} from '../../src/lab/naming.js';

test('a namespace name carries the owning pid and lab id back out', () => {
  const name = namespaceName(123456, 42, 'client');
  assert.equal(name, 'hs123456-42-client');
  assert.deepEqual(parseNamespaceName(name), { pid: 123456, labId: 42, role: 'client' });
});

test('namespaces of other tools are not taken for lab namespaces', () => {
  assert.equal(parseNamespaceName('hs-golden-l-21044'), undefined);
  assert.equal(parseNamespaceName('blue'), undefined);
  assert.equal(parseNamespaceName('hs12-x-a'), undefined);
});

test('host names must fit interface names and be unique', () => {
  assert.doesNotThrow(() => validateHostNames(['a', 'b', 'client', 'h123456789ab']));
  assert.throws(() => validateHostNames([]), TypeError);
  assert.throws(() => validateHostNames(['A']), /Host name 'A'/);
  assert.throws(() => validateHostNames(['h123456789abc']), TypeError);
  assert.throws(() => validateHostNames(['a', 'a']), /given twice/);
  assert.throws(() => validateHostNames(['switch']), /reserved/);
  for (const name of ['h123456789ab']) {
    for (const iface of Object.values(switchInterfaces(name))) assert.ok(iface.length <= 15, iface);
  }
});

test('addresses stay inside the lab subnet and do not collide with VIPs', () => {
  assert.equal(hostIpv4(7, 0), '10.99.7.1');
  assert.equal(hostIpv6(26, 2), 'fd00:99:1a::3');
  assert.equal(hostMac(26, 2), '02:68:73:1a:00:03');
  assert.equal(vipIpv4(7, 0), '10.99.7.100');
  assert.equal(vipIpv6(7, 1), 'fd00:99:7::101');
  assert.notEqual(hostIpv4(7, 98), vipIpv4(7, 0));
  assert.throws(() => vipIpv4(7, 100), RangeError);
  assert.throws(() => vipIpv6(7, -1), RangeError);
});
