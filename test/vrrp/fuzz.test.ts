/**
 * Random and mutated packets through validateAdvert(): it must always answer with a verdict.
 * Replay a failure with HOTSTANDBY_FUZZ_SEED=<seed printed in the failure>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Advert } from '../../src/vrrp/advert.js';
import { internetChecksum, pseudoHeaderSum } from '../../src/vrrp/checksum.js';
import { formatIp, parseIp } from '../../src/vrrp/ip-address.js';
import {
  buildAdvert,
  checksumOk,
  encodeAdvert,
  encodingLength,
  hasAuthData,
  usesPseudoHeader,
  type AdvertParams,
} from '../../src/vrrp/codec.js';
import { isDropReason, newDropCounters } from '../../src/vrrp/drop-reason.js';
import { prng, seedFromEnv } from '../support/seeded-random.js';
import { validateAdvert, type AdvertVerdict, type InstanceRules, type ReceiveContext } from '../../src/vrrp/validate.js';

const ITERATIONS = 100_000;


const ip = (text: string): Buffer => parseIp(text).bytes;
const RX4: ReceiveContext = { family: 4, source: ip('10.99.1.2'), destination: ip('224.0.0.18'), ttl: 255 };
const RX6: ReceiveContext = { family: 6, source: ip('fe80::2'), destination: ip('ff02::12'), ttl: 255 };

const RULES = new Map<number, InstanceRules>([
  [1, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false }],
  [2, { version: 2, advertIntervalMs: 1000, authPass: 'secret', v3ChecksumExcludesPseudoHeader: false }],
  [3, { version: 2, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false }],
  [4, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: true }],
  // A unicast instance: mutated VRIDs reach keepalived's unicast checks too.
  [5, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false, unicastPeers: [{ address: ip('10.99.1.2'), minTtl: 64, maxTtl: 255 }], checkUnicastSource: true }],
]);
const lookup = (vrid: number): InstanceRules | undefined => RULES.get(vrid);

interface Base {
  name: string;
  bytes: Buffer;
  rx: ReceiveContext;
  /** Only valid for its instance (message-only checksum), not when sniffing. */
  needsLookup: boolean;
}

function base(name: string, params: AdvertParams, rx: ReceiveContext, pseudoHeader = true): Base {
  const text = (bytes: Uint8Array): string => formatIp(bytes, 0, rx.family);
  const bytes = encodeAdvert(buildAdvert(params), { source: text(rx.source), destination: text(rx.destination), pseudoHeader });
  return { name, bytes, rx, needsLookup: !pseudoHeader };
}

const BASES: Base[] = [
  base('v2 IPv4', { version: 2, family: 4, vrid: 2, priority: 100, intervalMs: 1000, addresses: ['10.99.1.100', '10.99.1.101'], authPass: 'secret' }, RX4),
  base('v3 IPv4', { version: 3, family: 4, vrid: 1, priority: 200, intervalMs: 1000, addresses: ['10.99.1.100'] }, RX4),
  base('v3 IPv4 message-only', { version: 3, family: 4, vrid: 4, priority: 50, intervalMs: 1000, addresses: ['10.99.1.100', '10.99.1.7', '10.99.1.8'] }, RX4, false),
  base('v3 IPv6', { version: 3, family: 6, vrid: 1, priority: 100, intervalMs: 1000, addresses: ['fe80::100', 'fd00:99::100'] }, RX6),
  base('v2 IPv6 (keepalived)', { version: 2, family: 6, vrid: 3, priority: 100, intervalMs: 1000, addresses: ['fd00:99::101'] }, RX6),
];

/** Returns a problem with the verdict, or undefined when it is well formed. */
function checkVerdict(verdict: AdvertVerdict, payload: Buffer, rx: ReceiveContext, withLookup: boolean): string | undefined {
  if (typeof verdict !== 'object' || verdict === null) return 'no verdict object';
  if (verdict.ok === true) {
    const advert: Advert | undefined = verdict.advert;
    if (advert === undefined) return 'ok without an advert';
    // An accepted packet is exactly one advert, and its checksum is right in some form.
    if (encodingLength(advert) !== payload.length) return `accepted ${payload.length} bytes for a ${encodingLength(advert)}-byte advert`;
    const form = withLookup ? lookup(advert.vrid)?.v3ChecksumExcludesPseudoHeader !== true : true;
    if (!checksumOk(payload, rx.family, rx.source, rx.destination, form)) return 'accepted a bad checksum';
    return undefined;
  }
  if (verdict.ok === false) return isDropReason(verdict.reason) ? undefined : `unknown drop reason ${String(verdict.reason)}`;
  return `ok is ${String((verdict as { ok: unknown }).ok)}`;
}

function mutate(source: Buffer, next: () => number): Buffer {
  let bytes = Buffer.from(source);
  const steps = 1 + (next() % 3);
  for (let s = 0; s < steps; s++) {
    switch (next() % 6) {
      case 0: {
        const flips = 1 + (next() % 4);
        for (let f = 0; f < flips && bytes.length > 0; f++) {
          const at = next() % bytes.length;
          bytes[at] = (bytes[at] as number) ^ (1 << (next() % 8));
        }
        break;
      }
      case 1:
        bytes = bytes.subarray(0, next() % (bytes.length + 1));
        break;
      case 2: {
        const extra = Buffer.alloc(1 + (next() % 32));
        for (let i = 0; i < extra.length; i++) extra[i] = next() & 0xff;
        bytes = Buffer.concat([bytes, extra]);
        break;
      }
      case 3:
        if (bytes.length > 3) bytes[3] = next() & 0xff; // random address count
        break;
      case 4:
        if (bytes.length > 0) bytes[0] = next() & 0xff; // random version and type
        break;
      default:
        if (bytes.length > 0) bytes[next() % bytes.length] = next() & 0xff;
    }
  }
  return bytes;
}

/** Sets the count to what the length holds, when it holds a whole number of addresses. */
function fitCount(bytes: Buffer, family: 4 | 6): void {
  if (bytes.length < 8) return;
  const version = (bytes[0] as number) >>> 4 === 2 ? 2 : 3;
  const room = bytes.length - 8 - (hasAuthData(version, family) ? 8 : 0);
  const size = family === 4 ? 4 : 16;
  if (room >= 0 && room % size === 0 && room / size <= 255) bytes[3] = room / size;
}

/** Rewrites the checksum in the standard form, so the packet gets past the checksum check. */
function fixChecksum(bytes: Buffer, rx: ReceiveContext): void {
  if (bytes.length < 8) return;
  bytes.writeUInt16BE(0, 6);
  const initial = usesPseudoHeader((bytes[0] as number) >>> 4, rx.family, true)
    ? pseudoHeaderSum(rx.family, rx.source, rx.destination, bytes.length)
    : 0;
  bytes.writeUInt16BE(internetChecksum(bytes, 0, bytes.length, initial), 6);
}

function randomBuffer(next: () => number): Buffer {
  const bytes = Buffer.alloc(next() % 80);
  for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
  return bytes;
}

test('validateAdvert() accepts the unmutated fuzz base packets', () => {
  for (const b of BASES) {
    const withLookup = validateAdvert(b.bytes, b.rx, lookup);
    assert.equal(withLookup.ok, true, `${b.name}: ${withLookup.ok ? '' : withLookup.reason}`);
    if (!b.needsLookup) assert.equal(validateAdvert(b.bytes, b.rx).ok, true, b.name);
  }
});

test(`validateAdvert() returns a verdict for ${ITERATIONS.toLocaleString('en-US')} random and mutated packets`, (t) => {
  const seed = seedFromEnv('HOTSTANDBY_FUZZ_SEED');
  t.diagnostic(`seed ${seed} (replay: HOTSTANDBY_FUZZ_SEED=${seed})`);
  const next = prng(seed);
  const started = Date.now();
  let accepted = 0;
  const drops = newDropCounters();
  for (let i = 0; i < ITERATIONS; i++) {
    const b = BASES[next() % BASES.length] as Base;
    const payload = next() % 10 === 0 ? randomBuffer(next) : mutate(b.bytes, next);
    let rx = b.rx;
    const r = next() % 20;
    if (r === 0) rx = { ...rx, ttl: next() & 0xff };
    else if (r === 1) rx = b.rx.family === 4 ? RX6 : RX4; // packet read as the other family
    else if (r === 2) rx = { ...rx, ttl: 1 };
    else if (r === 3) rx = { ...rx, ownAddresses: [rx.source] }; // our own advert looped back
    else if (r === 4) rx = { ...rx, destination: rx.family === 4 ? ip('10.99.1.1') : ip('fe80::1') }; // unicast
    // Half the time make the damage consistent, to reach the checks after length and checksum.
    if (next() % 2 === 0) {
      if (next() % 2 === 0) fitCount(payload, rx.family);
      fixChecksum(payload, rx);
    }
    for (const withLookup of [false, true]) {
      let problem: string | undefined;
      try {
        const verdict = validateAdvert(payload, rx, withLookup ? lookup : undefined);
        problem = checkVerdict(verdict, payload, rx, withLookup);
        if (verdict.ok) accepted++;
        else if (isDropReason(verdict.reason)) drops[verdict.reason]++;
      } catch (error) {
        problem = `threw ${error instanceof Error ? error.stack : String(error)}`;
      }
      if (problem !== undefined) {
        assert.fail(
          `HOTSTANDBY_FUZZ_SEED=${seed} iteration ${i} (${b.name}, family ${rx.family}, ` +
            `${withLookup ? 'with' : 'without'} lookup, payload ${payload.toString('hex')}): ${problem}`,
        );
      }
    }
  }
  t.diagnostic(`${accepted} of ${2 * ITERATIONS} verdicts were ok, ${Date.now() - started} ms`);
  t.diagnostic(`drops: ${Object.entries(drops).map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
});
