/**
 * Golden captures of the real keepalived 2.2.7 (test/golden/capture.sh): decoding gives the
 * configured fields, and re-encoding the decoded advert gives the captured bytes exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ipPacketOf } from '../../src/pcap/captured-packet.js';
import type { IpPacket } from '../../src/pcap/ip-packet.js';
import { readCapture } from '../../src/pcap/read-capture.js';
import { intervalMs, type Advert } from '../../src/vrrp/advert.js';
import { checksumOk, decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { parseIp } from '../../src/vrrp/ip-address.js';
import { validateAdvert } from '../../src/vrrp/validate.js';
import { enhancedPacketBlock, interfaceBlock, sectionHeaderBlock } from './capture-builder.js';

const bytes = (text: string): Buffer => parseIp(text).bytes;

const dataDir = new URL('../../../test/data/', import.meta.url);

interface Captured {
  time: number;
  ip: IpPacket;
  advert: Advert;
}

function loadGolden(name: string): Captured[] {
  const captured: Captured[] = [];
  for (const record of readCapture(readFileSync(new URL(name, dataDir)))) {
    const result = ipPacketOf(record);
    assert.ok(result.ok, result.ok ? '' : `${name}: ${result.reason}`);
    const ip = result.packet;
    assert.equal(ip.protocol, 112);
    const [advert, end] = decodeAdvert(ip.payload, 0, ip.family);
    assert.equal(end, ip.payload.length, 'the advert fills the IP payload');
    captured.push({ time: record.time, ip, advert });
  }
  return captured;
}

/** The checks every golden advert passes, whatever the file. */
function assertWireTruths(name: string, packets: Captured[]): void {
  assert.ok(packets.length >= 4, `${name}: a few adverts, got ${packets.length}`);
  for (const { ip, advert } of packets) {
    assert.equal(ip.ttl, 255, 'RFC 3768 §5.2.3 / RFC 5798 §5.1.1.3: TTL / hop limit 255');
    assert.equal(advert.type, 1);
    assert.equal(advert.count, advert.addresses.length);
    // keepalived checksums v3 over IPv4 with the pseudo-header (RFC 5798 §5.2.8).
    assert.equal(checksumOk(ip.payload, ip.family, bytes(ip.source), bytes(ip.destination), true), true);
    const verdict = validateAdvert(ip.payload, { family: ip.family, source: bytes(ip.source), destination: bytes(ip.destination), ttl: ip.ttl });
    assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.reason);
    const encoded = encodeAdvert(advert, { source: ip.source, destination: ip.destination, pseudoHeader: true });
    assert.equal(encoded.toString('hex'), ip.payload.toString('hex'), 're-encoding gives the captured bytes');
  }
  const times = packets.map((p) => p.time);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timestamps increase');
  // Shutdown: keepalived sends priority 0 when stopped (RFC 3768 §6.4.3 / RFC 5798 §6.4.3).
  const last = packets.at(-1)?.advert;
  assert.equal(last?.priority, 0, `${name}: the last advert is the priority-0 one`);
  assert.equal(packets.filter((p) => p.advert.priority === 0).length, 1);
}

test('golden keepalived v2 with PASS authentication and two IPv4 addresses', () => {
  const packets = loadGolden('keepalived-v2-pass.pcap');
  assertWireTruths('v2', packets);
  for (const { ip, advert } of packets) {
    assert.equal(ip.family, 4);
    assert.equal(ip.source, '10.99.0.1');
    assert.equal(ip.destination, '224.0.0.18');
    assert.equal(advert.version, 2);
    assert.equal(advert.vrid, 51);
    assert.equal(intervalMs(advert), 1000);
    assert.deepEqual(advert.addresses, ['10.99.0.100', '10.99.0.101']);
    assert.equal(advert.authType, 1);
    // "secret-pass" is cut to the 8 bytes of RFC 3768 §5.3.6.1.
    assert.equal(advert.authData.toString('latin1'), 'secret-p');
  }
  assert.deepEqual(new Set(packets.slice(0, -1).map((p) => p.advert.priority)), new Set([150]));
});

test('golden keepalived v3 over IPv4 with a 100 ms interval (nanosecond pcap)', () => {
  const packets = loadGolden('keepalived-v3-ipv4.pcap');
  assertWireTruths('v3-ipv4', packets);
  for (const { ip, advert } of packets) {
    assert.equal(ip.family, 4);
    assert.equal(ip.destination, '224.0.0.18');
    assert.equal(advert.version, 3);
    assert.equal(advert.vrid, 52);
    assert.equal(advert.interval, 10, 'RFC 5798 §5.2.7: centiseconds');
    assert.equal(intervalMs(advert), 100);
    assert.deepEqual(advert.addresses, ['10.99.0.110']);
    assert.equal(advert.authType, 0);
    assert.equal(advert.authData.length, 0);
  }
  assert.deepEqual(new Set(packets.slice(0, -1).map((p) => p.advert.priority)), new Set([200]));
  // The timestamps (nanosecond file) show the 100 ms rhythm between the regular adverts.
  const regular = packets.slice(0, -1).map((p) => p.time);
  const gaps = regular.slice(1).map((t, i) => t - (regular[i] as number)).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)] as number;
  assert.ok(median > 0.08 && median < 0.15, `median gap ${median} s`);
});

test('golden keepalived v3 over IPv6 from the link-local address to ff02::12', () => {
  const packets = loadGolden('keepalived-v3-ipv6.pcap');
  assertWireTruths('v3-ipv6', packets);
  for (const { ip, advert } of packets) {
    assert.equal(ip.family, 6);
    assert.match(ip.source, /^fe80::/);
    assert.equal(ip.destination, 'ff02::12');
    assert.equal(advert.version, 3);
    assert.equal(advert.vrid, 53);
    assert.equal(intervalMs(advert), 1000);
    assert.deepEqual(advert.addresses, ['fd00:99::100', 'fd00:99::101']);
  }
  assert.deepEqual(new Set(packets.slice(0, -1).map((p) => p.advert.priority)), new Set([120]));
});

test('the same keepalived frames in a hand-built big-endian nanosecond pcapng read the same', () => {
  const classic = [...readCapture(readFileSync(new URL('keepalived-v3-ipv6.pcap', dataDir)))];
  const blocks = [sectionHeaderBlock('be'), interfaceBlock('be', 1, { tsresol: 9 })];
  for (const record of classic) {
    const nanoseconds = BigInt(Math.round(record.time * 1e6)) * 1000n;
    blocks.push(enhancedPacketBlock('be', 0, nanoseconds, record.data));
  }
  const pcapng = [...readCapture(Buffer.concat(blocks))];
  assert.equal(pcapng.length, classic.length);
  pcapng.forEach((record, i) => {
    const original = classic[i];
    assert.ok(original);
    assert.ok(Math.abs(record.time - original.time) < 1e-6);
    assert.equal(record.linkType, original.linkType);
    assert.deepEqual(record.data, original.data);
    const a = ipPacketOf(record);
    const b = ipPacketOf(original);
    assert.deepEqual(a, b);
  });
});
