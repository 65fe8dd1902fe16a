/**
 * The small shared pieces: durations, command line splitting, "did you mean", addresses, VIP words.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isIpv4Multicast, isIpv6LinkLocal, isIpv6LinkLocalMulticast, parseIpAddress } from '../../src/config/address.js';
import { splitCommandLine } from '../../src/config/command-line.js';
import { ConfigError } from '../../src/config/config-error.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { formatStatusRanges, parseStatusRanges } from '../../src/config/http-status.js';
import { closestMatch, editDistance } from '../../src/config/suggest.js';
import { checkCommandLine } from '../../src/config/validate-values.js';
import { parseVipWords } from '../../src/config/vip.js';

const durations: [string, number | undefined][] = [
  ['100ms', 100],
  ['1s', 1000],
  ['1.5s', 1500],
  ['0.3s', 300],
  ['2m', 120_000],
  ['1m30s', 90_000],
  ['0ms', 0],
  [' 5s ', 5000],
  ['5', undefined],
  ['2h', 7_200_000],
  ['1d12h', 129_600_000],
  ['5w', undefined],
  ['s', undefined],
  ['1s 2s', undefined],
  ['-1s', undefined],
  ['', undefined],
];
for (const [text, ms] of durations) {
  test(`duration ${JSON.stringify(text)} is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
}

test('durations format back briefly', () => {
  assert.deepEqual([formatDuration(100), formatDuration(1500), formatDuration(60_000), formatDuration(0), formatDuration(7_200_000), formatDuration(86_400_000)], ['100ms', '1.5s', '1m', '0ms', '2h', '1d']);
});

const commands: [string, string[]][] = [
  ['/bin/check', ['/bin/check']],
  ['  /bin/check   a  b ', ['/bin/check', 'a', 'b']],
  ["/bin/check 'a b' c", ['/bin/check', 'a b', 'c']],
  ['/bin/check "a \\"b\\"" c', ['/bin/check', 'a "b"', 'c']],
  ["/bin/echo 'it''s'", ['/bin/echo', 'its']],
  ['/bin/echo a\\ b', ['/bin/echo', 'a b']],
  ["/bin/echo ''", ['/bin/echo', '']],
];
for (const [text, words] of commands) {
  test(`command line ${JSON.stringify(text)}`, () => assert.deepEqual(splitCommandLine(text), words));
}

test('malformed command lines are SyntaxErrors', () => {
  assert.throws(() => splitCommandLine("/bin/x 'a"), SyntaxError);
  assert.throws(() => splitCommandLine('/bin/x "a'), SyntaxError);
  assert.throws(() => splitCommandLine('/bin/x a\\'), SyntaxError);
});

test('edit distance counts a transposition as one edit', () => {
  assert.equal(editDistance('priority', 'priorty'), 1);
  assert.equal(editDistance('vrid', 'vird'), 1);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('', 'abc'), 3);
});

test('closest match only for plausible typos', () => {
  const known = ['interface', 'vrid', 'priority', 'advertInterval'];
  assert.equal(closestMatch('priorty', known), 'priority');
  assert.equal(closestMatch('advertinterval', known), 'advertInterval');
  assert.equal(closestMatch('colour', known), undefined);
});

test('addresses are canonical', () => {
  assert.deepEqual(parseIpAddress('192.0.2.1'), { address: '192.0.2.1', family: 4 });
  assert.deepEqual(parseIpAddress('2001:DB8:0:0::0:1'), { address: '2001:db8::1', family: 6 });
  assert.equal(parseIpAddress('192.0.2.01'), undefined);
  assert.equal(parseIpAddress('fe80::1%eth0'), undefined);
  assert.equal(parseIpAddress('eth0'), undefined);
});

test('address classes', () => {
  assert.equal(isIpv4Multicast('224.0.0.18'), true);
  assert.equal(isIpv4Multicast('240.0.0.1'), false);
  assert.equal(isIpv6LinkLocalMulticast('ff02::12'), true);
  assert.equal(isIpv6LinkLocalMulticast('ff12::12'), true);
  assert.equal(isIpv6LinkLocalMulticast('ff05::12'), false);
  assert.equal(isIpv6LinkLocal('fe80::1'), true);
  assert.equal(isIpv6LinkLocal('fec0::1'), false);
});

const at = { file: 'x', line: 3 };

test('VIP words with every supported option', () => {
  const { vip, warnings } = parseVipWords(['192.0.2.9/30', 'brd', '-', 'dev', 'eth1', 'scope', 'host', 'label', 'eth1:9'], false, at, 'vips');
  assert.deepEqual(vip, { address: '192.0.2.9', family: 4, prefixLength: 30, broadcast: '192.0.2.8', device: 'eth1', scope: 'host', label: 'eth1:9', excluded: false, source: at });
  assert.deepEqual(warnings, []);
});

test('VIP broadcast "+" covers prefixes 0 and 32', () => {
  assert.equal(parseVipWords(['10.1.2.3/0', 'brd', '+'], false, at, 'k').vip.broadcast, '255.255.255.255');
  assert.equal(parseVipWords(['10.1.2.3/32', 'brd', '+'], false, at, 'k').vip.broadcast, '10.1.2.3');
});

test('VIP errors are ConfigErrors at the given place', () => {
  for (const words of [['x'], ['192.0.2.1/'], ['192.0.2.1', 'dev'], ['fd00::1', 'brd', '+'], ['192.0.2.1', 'brd', 'fd00::1'], ['fd00::1/129']]) {
    assert.throws(() => parseVipWords(words, false, at, 'k'), (err: unknown) => err instanceof ConfigError && err.source === at && err.key === 'k', words.join(' '));
  }
});

test('HTTP status lists: single statuses, ranges, classes and comma lists', () => {
  assert.deepEqual(parseStatusRanges('200'), [[200, 200]]);
  assert.deepEqual(parseStatusRanges('200-299'), [[200, 299]]);
  assert.deepEqual(parseStatusRanges('200 - 204'), [[200, 204]]);
  assert.deepEqual(parseStatusRanges('3xx'), [[300, 399]]);
  assert.deepEqual(parseStatusRanges('2XX, 301,302-304'), [
    [200, 299],
    [301, 301],
    [302, 304],
  ]);
  for (const bad of ['', 'ok', '20', '2000', '200-', '6xx', '200,,201', '200 300']) assert.equal(parseStatusRanges(bad), undefined, bad);
  assert.equal(formatStatusRanges([[200, 299], [301, 301]]), '200-299, 301');
});

test('command lines of notify scripts are checked the way the daemon splits them', () => {
  const field = { value: "/bin/notify 'a b'", source: at, key: 'notify_master' };
  assert.deepEqual(checkCommandLine(field, 'x'), ['/bin/notify', 'a b']);
  for (const bad of ["/bin/x 'open", '', '   ', "''"]) {
    assert.throws(() => checkCommandLine({ ...field, value: bad }, 'x'), (err: unknown) => err instanceof ConfigError && err.key === 'notify_master', bad);
  }
});
