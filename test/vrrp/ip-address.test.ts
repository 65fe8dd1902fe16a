import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressWordSum,
  canonicalIp,
  compareAddresses,
  formatIp,
  ipv4ToNumber,
  isIp,
  parseIp,
  writeIp,
} from '../../src/vrrp/ip-address.js';

test('parseIp() reads IPv4 dotted quads into 4 bytes', () => {
  assert.deepEqual(parseIp('192.168.1.100'), { family: 4, bytes: Buffer.from([192, 168, 1, 100]) });
  assert.deepEqual(parseIp('0.0.0.0').bytes, Buffer.from([0, 0, 0, 0]));
  assert.deepEqual(parseIp('255.255.255.255').bytes, Buffer.from([255, 255, 255, 255]));
});

test('parseIp() reads every IPv6 text form of RFC 4291 §2.2', () => {
  const cases: Array<[string, string]> = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:DB8::8:800:200C:417A', '20010db80000000000080800200c417a'],
    ['2001:0db8:0000:0000:0008:0800:200c:417a', '20010db80000000000080800200c417a'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['::1.2.3.4', '00000000000000000000000001020304'],
  ];
  for (const [text, hex] of cases) {
    assert.deepEqual(parseIp(text), { family: 6, bytes: Buffer.from(hex, 'hex') }, text);
  }
});

test('parseIp() throws SyntaxError quoting text that is not an address', () => {
  const bad = [
    '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4 ', ' 1.2.3.4',
    '1.2.3.-4', '0x1.2.3.4', '1.2.3.4/32',
    ':', ':::', '1:::2', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1:', ':1', 'fe80::1%eth0', '[::1]', '::1.2.3', '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4', '::256.1.1.1', 'localhost',
  ];
  for (const text of bad) {
    assert.throws(() => parseIp(text), (e: unknown) => e instanceof SyntaxError && e.message.includes(`"${text}"`), text);
    assert.equal(isIp(text), false, text);
  }
});

test('parseIp() throws TypeError for a non-string', () => {
  assert.throws(() => parseIp(42 as unknown as string), TypeError);
});

test('formatIp() writes IPv6 in RFC 5952 form', () => {
  const cases: Array<[string, string]> = [
    ['20010db8000000000000000000000001', '2001:db8::1'], // §4.2.1 longest run, §4.3 lower case
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // §4.2.3 first of equal runs
    ['20010db8000000000001000000000000', '2001:db8:0:0:1::'], // longer run later wins
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['fe800000000000000000000000000000', 'fe80::'],
    ['000a000b000c000d000e000f00100011', 'a:b:c:d:e:f:10:11'], // §4.1 no leading zeros
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'], // §5 IPv4-mapped
  ];
  for (const [hex, text] of cases) assert.equal(formatIp(Buffer.from(hex, 'hex'), 0, 6), text, hex);
});

test('formatIp() reads at an offset and throws RangeError past the end', () => {
  const buf = Buffer.from([9, 9, 10, 0, 0, 1, 9]);
  assert.equal(formatIp(buf, 2, 4), '10.0.0.1');
  assert.throws(() => formatIp(buf, 4, 4), RangeError);
  assert.throws(() => formatIp(buf, 0, 6), RangeError);
  assert.throws(() => formatIp(buf, -1, 4), RangeError);
});

test('formatIp() agrees with the WHATWG URL serializer on random IPv6 addresses', () => {
  // URL's IPv6 serializer follows the same compression rules as RFC 5952 except for IPv4-mapped
  // addresses, so it is an independent check (the random bytes favour zero runs).
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let n = 0; n < 2000; n++) {
    const bytes = Buffer.alloc(16);
    for (let k = 0; k < 8; k++) {
      if (next() % 3 !== 0) bytes.writeUInt16BE(next() % 4 === 0 ? next() % 0x10000 : next() % 16, 2 * k);
    }
    if (bytes.readUInt16BE(10) === 0xffff && bytes.subarray(0, 10).every((b) => b === 0)) continue;
    const expected = new URL(`http://[${bytes.toString('hex').replace(/(.{4})(?!$)/g, '$1:')}]/`).hostname.slice(1, -1);
    const text = formatIp(bytes, 0, 6);
    assert.equal(text, expected);
    assert.deepEqual(parseIp(text).bytes, bytes);
  }
});

test('canonicalIp() normalises IPv6 and keeps IPv4', () => {
  assert.equal(canonicalIp('FE80:0000:0000::0001'), 'fe80::1');
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIp('::FFFF:10.0.0.1'), '::ffff:10.0.0.1');
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.throws(() => canonicalIp('10.0.0'), SyntaxError);
});

test('isIp() checks the family when given one', () => {
  assert.equal(isIp('10.0.0.1'), true);
  assert.equal(isIp('10.0.0.1', 4), true);
  assert.equal(isIp('10.0.0.1', 6), false);
  assert.equal(isIp('fe80::1', 6), true);
  assert.equal(isIp('fe80::1', 4), false);
  assert.equal(isIp(undefined as unknown as string), false);
});

test('compareAddresses() orders unsigned byte by byte', () => {
  const a = (t: string): Buffer => parseIp(t).bytes;
  assert.equal(compareAddresses(a('10.0.0.2'), a('10.0.0.1')), 1);
  assert.equal(compareAddresses(a('10.0.0.1'), a('10.0.0.2')), -1);
  assert.equal(compareAddresses(a('10.0.0.1'), a('10.0.0.1')), 0);
  // Unsigned: 200.x is above 100.x although 200 is negative as a signed byte.
  assert.equal(compareAddresses(a('200.0.0.1'), a('100.0.0.1')), 1);
  // The first differing byte decides, not the numeric sum of bytes.
  assert.equal(compareAddresses(a('10.0.1.0'), a('10.0.0.255')), 1);
  assert.equal(compareAddresses(a('fe80::1:0'), a('fe80::ffff')), 1);
  assert.throws(() => compareAddresses(a('10.0.0.1'), a('::1')), TypeError);
});

test('ipv4ToNumber(), writeIp() and addressWordSum() report bad text instead of throwing', () => {
  assert.equal(ipv4ToNumber('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4ToNumber('10.0.0.1'), 0x0a000001);
  assert.equal(ipv4ToNumber('10.0.0.256'), -1);
  const out = Buffer.alloc(20, 0xee);
  assert.equal(writeIp('fe80::1', 6, out, 2), true);
  assert.equal(out.toString('hex'), 'eeeefe800000000000000000000000000001eeee');
  assert.equal(writeIp('fe80::1', 4, out, 0), false);
  assert.equal(addressWordSum('10.0.0.1', 4), 0x0a00 + 0x0001);
  assert.equal(addressWordSum('ff02::12', 6), 0xff02 + 0x0012);
  assert.equal(addressWordSum('ff02::12', 4), -1);
});
