import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAdvert, encodeAdvert, type AdvertParams } from '../../src/vrrp/codec.js';
import { DROP_REASONS, DROP_REASON_TEXT, isDropReason, newDropCounters, type DropReason } from '../../src/vrrp/drop-reason.js';
import { formatIp, parseIp } from '../../src/vrrp/ip-address.js';
import { validateAdvert, type InstanceRules, type ReceiveContext } from '../../src/vrrp/validate.js';

const ip = (text: string): Buffer => parseIp(text).bytes;
const PEER4 = '10.99.1.2';
const PEER6 = 'fe80::2';
const RX4: ReceiveContext = { family: 4, source: ip(PEER4), destination: ip('224.0.0.18'), ttl: 255 };
const RX6: ReceiveContext = { family: 6, source: ip(PEER6), destination: ip('ff02::12'), ttl: 255 };
/** An advert to our own address (10.99.1.1), as unicast peers send them. */
const UNICAST4: ReceiveContext = { ...RX4, destination: ip('10.99.1.1') };

/**
 * Local instances: VRID 1 v3, 2 v2 with password, 3 v2 without, 4 v3 message-only checksum;
 * 5 v3 unicast with peer PEER4 (TTL 250..255) and 10.99.1.5 (any TTL), checking the source;
 * 6 the same peers without the source check.
 */
const UNICAST_PEERS = [
  { address: ip(PEER4), minTtl: 250, maxTtl: 255 },
  { address: ip('10.99.1.5'), minTtl: 0, maxTtl: 255 },
];
const RULES = new Map<number, InstanceRules>([
  [1, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false }],
  [2, { version: 2, advertIntervalMs: 1000, authPass: 'secret12345', v3ChecksumExcludesPseudoHeader: false }],
  [3, { version: 2, advertIntervalMs: 2000, v3ChecksumExcludesPseudoHeader: false }],
  [4, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: true }],
  [5, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false, unicastPeers: UNICAST_PEERS, checkUnicastSource: true }],
  [6, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false, unicastPeers: UNICAST_PEERS, checkUnicastSource: false }],
]);
const lookup = (vrid: number): InstanceRules | undefined => RULES.get(vrid);

const V3 = { version: 3, family: 4, vrid: 1, priority: 100, intervalMs: 1000, addresses: ['10.99.1.100'] } as const;
const V2 = { version: 2, family: 4, vrid: 2, priority: 100, intervalMs: 1000, addresses: ['10.99.1.100'], authPass: 'secret12345' } as const;

/** A correctly checksummed advert as a peer at `rx.source` would send it. */
function packet(params: AdvertParams, rx: ReceiveContext = RX4, pseudoHeader = true): Buffer {
  const text = (bytes: Uint8Array): string => formatIp(bytes, 0, rx.family);
  return encodeAdvert(buildAdvert(params), { source: text(rx.source), destination: text(rx.destination), pseudoHeader });
}

function patched(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = value;
  return copy;
}

interface DropCase {
  name: string;
  reason: DropReason;
  payload: Buffer;
  rx?: ReceiveContext;
  withLookup?: boolean;
}

const DROPS: DropCase[] = [
  { name: 'TTL other than 255', reason: 'ttl', payload: packet(V3), rx: { ...RX4, ttl: 254 } },
  { name: 'TTL other than 255 to our unicast address, for an instance without peers', reason: 'ttl', payload: packet(V3, UNICAST4), rx: { ...UNICAST4, ttl: 64 } },
  { name: 'priority 0 with TTL 1 to our unicast address, for an instance without peers', reason: 'ttl', payload: packet({ ...V3, priority: 0 }, UNICAST4), rx: { ...UNICAST4, ttl: 1 } },
  { name: 'hop limit other than 255 on IPv6', reason: 'ttl', payload: packet({ ...V3, family: 6, addresses: ['fe80::100'] }, RX6), rx: { ...RX6, ttl: 1 } },
  { name: 'packets shorter than the 8-byte header', reason: 'too-short', payload: packet(V3).subarray(0, 7) },
  { name: 'empty packets', reason: 'too-short', payload: Buffer.alloc(0) },
  { name: 'v2 packets without room for the auth data', reason: 'too-short', payload: Buffer.from('2102640001010000000000', 'hex') },
  { name: 'version other than 2 or 3', reason: 'version', payload: patched(packet(V3), 0, 0x41) },
  { name: 'version 1', reason: 'version', payload: patched(packet(V3), 0, 0x11) },
  { name: 'type other than advertisement', reason: 'type', payload: patched(packet(V3), 0, 0x32) },
  { name: 'a count larger than the addresses', reason: 'address-count', payload: patched(packet(V3), 3, 2) },
  { name: 'a count smaller than the addresses', reason: 'address-count', payload: patched(packet(V3), 3, 0) },
  { name: 'trailing bytes after the advert', reason: 'address-count', payload: Buffer.concat([packet(V3), Buffer.alloc(4)]) },
  { name: 'a wrong checksum', reason: 'checksum', payload: patched(packet(V3), 7, packet(V3)[7]! ^ 1) },
  { name: 'a flipped bit anywhere in a v2 advert', reason: 'checksum', payload: patched(packet(V2), 2, 101) },
  { name: 'a checksum computed for another source', reason: 'checksum', payload: packet(V3, { ...RX4, source: ip('10.99.1.3') }) },
  { name: 'a message-only v3 checksum for a standard instance', reason: 'checksum', payload: packet(V3, RX4, false) },
  { name: 'a standard v3 checksum for a message-only instance', reason: 'checksum', payload: packet({ ...V3, vrid: 4 }) },
  { name: 'adverts from our own address', reason: 'own-address', payload: packet(V3), rx: { ...RX4, ownAddresses: [ip('10.99.9.9'), ip(PEER4)] } },
  { name: 'a VRID without an instance', reason: 'vrid', payload: packet({ ...V3, vrid: 99 }) },
  { name: 'a v3 advert for a v2 instance', reason: 'version-mismatch', payload: packet({ ...V3, vrid: 2 }) },
  { name: 'a v2 advert for a v3 instance', reason: 'version-mismatch', payload: packet({ ...V2, vrid: 1 }) },
  { name: 'no authentication for a password instance', reason: 'auth-type', payload: packet({ ...V2, authPass: undefined }) },
  { name: 'a password for an instance without one', reason: 'auth-type', payload: packet({ ...V2, vrid: 3, intervalMs: 2000 }) },
  { name: 'a wrong password', reason: 'auth-password', payload: packet({ ...V2, authPass: 'secret99' }) },
  { name: 'a v2 interval other than ours', reason: 'interval', payload: packet({ ...V2, intervalMs: 2000 }) },
  { name: 'a unicast advert with TTL 255 for a multicast instance', reason: 'destination', payload: packet(V3, UNICAST4), rx: UNICAST4 },
  { name: 'a multicast advert for a unicast instance', reason: 'destination', payload: packet({ ...V3, vrid: 5 }) },
  { name: 'a unicast advert from a host that is not a peer', reason: 'unicast-source', payload: packet({ ...V3, vrid: 5 }, { ...UNICAST4, source: ip('10.99.1.9') }), rx: { ...UNICAST4, source: ip('10.99.1.9') } },
  { name: "a peer's advert with a TTL below its min_ttl", reason: 'peer-ttl', payload: packet({ ...V3, vrid: 5 }, UNICAST4), rx: { ...UNICAST4, ttl: 249 } },
];

for (const c of DROPS) {
  test(`validateAdvert() drops ${c.name}`, () => {
    const verdict = validateAdvert(c.payload, c.rx ?? RX4, c.withLookup === false ? undefined : lookup);
    assert.equal(verdict.ok, false);
    assert.equal(verdict.ok ? undefined : verdict.reason, c.reason);
  });
}

test('the drop table covers every drop reason', () => {
  assert.deepEqual(new Set(DROPS.map((c) => c.reason)), new Set(DROP_REASONS));
});

test('validateAdvert() accepts good adverts of every version and family', () => {
  const cases: Array<[string, Buffer, ReceiveContext]> = [
    ['v3 IPv4', packet(V3), RX4],
    ['v2 IPv4 with password', packet(V2), RX4],
    ['v2 IPv4 without password', packet({ ...V2, vrid: 3, intervalMs: 2000, authPass: undefined }), RX4],
    ['v3 IPv4 message-only checksum', packet({ ...V3, vrid: 4 }, RX4, false), RX4],
    ['v3 IPv6', packet({ ...V3, family: 6, addresses: ['fe80::100', '2001:db8::1'] }, RX6), RX6],
    ['v3 IPv6 for a message-only instance (IPv4-only option)', packet({ ...V3, vrid: 4, family: 6, addresses: ['fe80::100'] }, RX6), RX6],
    ['v3 with no addresses', packet({ ...V3, addresses: [] }), RX4],
  ];
  for (const [name, payload, rx] of cases) {
    const verdict = validateAdvert(payload, rx, lookup);
    assert.equal(verdict.ok, true, `${name}: ${verdict.ok ? '' : verdict.reason}`);
    assert.equal(verdict.advert?.family, rx.family, name);
  }
  const verdict = validateAdvert(packet(V2), RX4, lookup);
  assert.ok(verdict.ok);
  assert.deepEqual(verdict.advert.addresses, ['10.99.1.100']);
  assert.equal(verdict.advert.vrid, 2);
});

test("validateAdvert() takes a unicast instance's adverts from its peers within their TTL range (keepalived)", () => {
  const judge = (vrid: number, rx: ReceiveContext): string => {
    const verdict = validateAdvert(packet({ ...V3, vrid }, rx), rx, lookup);
    return verdict.ok ? 'ok' : verdict.reason;
  };
  assert.equal(judge(5, UNICAST4), 'ok', 'TTL 255 from a peer');
  assert.equal(judge(5, { ...UNICAST4, ttl: 250 }), 'ok', 'the bottom of the range');
  assert.equal(judge(5, { ...UNICAST4, source: ip('10.99.1.5'), ttl: 3 }), 'ok', 'a routed peer without a range');
  assert.equal(judge(6, { ...UNICAST4, source: ip('10.99.1.9'), ttl: 3 }), 'ok', 'any source when the check is off');
  assert.equal(judge(6, { ...UNICAST4, ttl: 3 }), 'ok', 'no range applies without the source check');
});

test('validateAdvert() without lookup skips instance checks and wants the standard checksum', () => {
  // Unknown VRID, v2 with an unexpected password and interval: fine when sniffing.
  assert.equal(validateAdvert(packet({ ...V2, vrid: 77, intervalMs: 9000, authPass: 'other' }), RX4).ok, true);
  assert.equal(validateAdvert(packet({ ...V3, vrid: 77 }), RX4).ok, true);
  // v3 IPv4 without the pseudo-header is not the standard form.
  const messageOnly = validateAdvert(packet({ ...V3, vrid: 4 }, RX4, false), RX4);
  assert.equal(messageOnly.ok ? 'ok' : messageOnly.reason, 'checksum');
  // The checks that need no configuration still apply.
  const ttl = validateAdvert(packet(V3), { ...RX4, ttl: 1 });
  assert.equal(ttl.ok ? 'ok' : ttl.reason, 'ttl');
});

test('validateAdvert() attaches the decoded advert to drops once the layout is sound', () => {
  const late = validateAdvert(packet({ ...V2, authPass: 'wrong' }), RX4, lookup);
  assert.ok(!late.ok);
  assert.equal(late.advert?.vrid, 2);
  const checksum = validateAdvert(patched(packet(V3), 7, 0), RX4, lookup);
  assert.ok(!checksum.ok);
  assert.equal(checksum.advert?.priority, 100);
  const early = validateAdvert(patched(packet(V3), 3, 5), RX4, lookup);
  assert.ok(!early.ok);
  assert.equal(early.advert, undefined);
});

test('validateAdvert() reads a payload that is a view into a larger buffer', () => {
  const bytes = packet(V3);
  const frame = Buffer.concat([Buffer.alloc(20, 0x45), bytes, Buffer.alloc(6)]);
  const verdict = validateAdvert(frame.subarray(20, 20 + bytes.length), RX4, lookup);
  assert.equal(verdict.ok, true);
});

test('DROP_REASONS names each reason once with a description, and counters start at zero', () => {
  assert.equal(new Set(DROP_REASONS).size, DROP_REASONS.length);
  for (const reason of DROP_REASONS) {
    assert.ok(DROP_REASON_TEXT[reason].length > 0, reason);
    assert.equal(isDropReason(reason), true);
  }
  assert.equal(isDropReason('nonsense'), false);
  const counters = newDropCounters();
  assert.deepEqual(Object.keys(counters), [...DROP_REASONS]);
  assert.ok(Object.values(counters).every((n) => n === 0));
});
