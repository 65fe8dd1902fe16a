import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeVrrpPacket, formatSniffJson, formatSniffText, formatTime } from '../../src/cli/sniff-format.js';
import { buildAdvert, encodeAdvert } from '../../src/vrrp/codec.js';

const v4 = { family: 4 as const, source: '10.99.0.1', destination: '224.0.0.18', ttl: 255 };
const v2Advert = encodeAdvert(
  buildAdvert({ version: 2, family: 4, vrid: 7, priority: 100, intervalMs: 3000, addresses: ['10.99.0.50'], authPass: 'pw' }),
  { source: v4.source, destination: v4.destination, pseudoHeader: true },
);

test('a good v2 advert: every field, the password without its NUL padding, verdict ok', () => {
  const record = describeVrrpPacket(1_700_000_000.5, v4, v2Advert);
  assert.deepEqual(record, {
    time: 1_700_000_000.5,
    src: '10.99.0.1',
    dst: '224.0.0.18',
    ttl: 255,
    version: 2,
    type: 1,
    vrid: 7,
    priority: 100,
    intervalMs: 3000,
    addresses: ['10.99.0.50'],
    authType: 1,
    authData: 'pw',
    checksumOk: true,
    verdict: 'ok',
  });
  assert.deepEqual(Object.keys(JSON.parse(formatSniffJson(record))), Object.keys(record));
  assert.equal(
    formatSniffText(record),
    '2023-11-14T22:13:20.500000Z 10.99.0.1 → 224.0.0.18 ttl 255 v2 vrid 7 prio 100 int 3s addrs 10.99.0.50 auth pass "pw" ok',
  );
});

test('a v3 advert has no auth fields', () => {
  const v3 = encodeAdvert(buildAdvert({ version: 3, family: 4, vrid: 9, priority: 50, intervalMs: 250, addresses: [] }), {
    ...v4,
    pseudoHeader: true,
  });
  const record = describeVrrpPacket(0, v4, v3);
  assert.equal('authType' in record, false);
  assert.equal('authData' in record, false);
  assert.equal(record.intervalMs, 250);
  assert.deepEqual(record.addresses, []);
  assert.match(formatSniffText(record), / v3 vrid 9 prio 50 int 250ms addrs - ok$/);
});

test('a TTL drop still shows the decoded advert', () => {
  const record = describeVrrpPacket(0, { ...v4, ttl: 64 }, v2Advert);
  assert.equal(record.verdict, 'ttl');
  assert.equal(record.vrid, 7);
  assert.deepEqual(record.addresses, ['10.99.0.50']);
  assert.match(formatSniffText(record), / ttl 64 .* DROP ttl \(IP TTL \/ hop limit is not 255\)$/);
});

test('a bad checksum is the verdict and checksumOk is false', () => {
  const corrupt = Buffer.from(v2Advert);
  corrupt[2] = 101; // priority changed after the checksum was computed
  const record = describeVrrpPacket(0, v4, corrupt);
  assert.equal(record.verdict, 'checksum');
  assert.equal(record.checksumOk, false);
  assert.equal(record.priority, 101);
  assert.match(formatSniffText(record), /bad-checksum DROP checksum/);
});

test('packets too broken to decode show what their bytes say', () => {
  const short = describeVrrpPacket(0, v4, v2Advert.subarray(0, 3));
  assert.equal(short.verdict, 'too-short');
  assert.deepEqual(
    [short.version, short.type, short.vrid, short.priority, short.intervalMs, short.addresses, short.checksumOk],
    [2, 1, 7, 100, null, null, null],
  );
  assert.equal(short.authType, null);
  assert.match(formatSniffText(short), /v2 vrid 7 prio 100 int \? addrs \? auth type \? DROP too-short/);

  const miscounted = Buffer.from(v2Advert);
  miscounted[3] = 2;
  const record = describeVrrpPacket(0, v4, miscounted);
  assert.equal(record.verdict, 'address-count');
  assert.equal(record.intervalMs, 3000);
  assert.equal(record.addresses, null);

  const empty = describeVrrpPacket(0, v4, Buffer.alloc(0));
  assert.deepEqual([empty.version, empty.vrid, empty.verdict], [null, null, 'too-short']);
  assert.match(formatSniffText(empty), / v\? vrid \? prio \? /);
});

test('v2 without authentication: authType 0, authData null', () => {
  const plain = encodeAdvert(
    buildAdvert({ version: 2, family: 4, vrid: 1, priority: 1, intervalMs: 1000, addresses: ['10.99.0.9'] }),
    { ...v4, pseudoHeader: true },
  );
  const record = describeVrrpPacket(0, v4, plain);
  assert.equal(record.authType, 0);
  assert.equal(record.authData, null);
  assert.match(formatSniffText(record), / auth none ok$/);
});

test('times: microseconds in UTC; no time as "-" and null', () => {
  assert.equal(formatTime(1_700_000_000.1234564), '2023-11-14T22:13:20.123456Z');
  assert.equal(formatTime(1_700_000_000.9999999), '2023-11-14T22:13:21.000000Z');
  assert.equal(formatTime(null), '-');
  assert.equal(describeVrrpPacket(Number.NaN, v4, v2Advert).time, null);
});
