/**
 * Property of the whole receive path (dispatcher → validation → runner → state machine, with a
 * fake clock and transport): an advert that breaks a receive rule of RFC 3768 §7.1 / RFC 5798 §7.1
 * or keepalived's unicast rules changes nothing — state, master address, priority, armed timers,
 * VIPs, adverts sent — and is counted once under its reason. Every hostile kind, sent to the
 * multicast group or to our own address, at priority 0, 254 or anything, to a master and to a
 * backup, of a multicast instance and of a unicast one, v2 and v3.
 * Replay a failure with HOTSTANDBY_PROPERTY_SEED=<seed printed in the failure>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdvertDispatcher } from '../../src/daemon/advert-dispatcher.js';
import { InstanceRunner } from '../../src/daemon/instance-runner.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { InstanceConfig } from '../../src/config/model.js';
import type { Timers } from '../../src/ports/index.js';
import { AUTH_NONE, VRRP_MULTICAST_V4, type Advert, type VrrpVersion } from '../../src/vrrp/advert.js';
import { internetChecksum, pseudoHeaderSum } from '../../src/vrrp/checksum.js';
import { buildAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { DROP_REASONS, newDropCounters, type DropReason } from '../../src/vrrp/drop-reason.js';
import { parseIp } from '../../src/vrrp/ip-address.js';
import { FakeTime } from '../support/fake-time.js';
import { instanceConfig } from '../support/instance-config.js';
import { prng, seedFromEnv } from '../support/seeded-random.js';

const ITERATIONS = 4000;
const SELF = '10.99.0.2';
const PEER = '10.99.0.3';
const STRANGER = '10.99.0.66';
const VRID = 51;
const PASSWORD = 'secret';
/** The unicast instance's peer accepts TTL 250..255 (keepalived `unicast_peer { PEER min_ttl 250 }`). */
const PEER_MIN_TTL = 250;

type Mode = 'multicast' | 'unicast';
type Role = 'MASTER' | 'BACKUP';

function configFor(mode: Mode, version: VrrpVersion): InstanceConfig {
  return instanceConfig({
    version,
    vrid: VRID,
    advertIntervalMs: 1000,
    ...(version === 2 ? { authPass: PASSWORD } : {}),
    ...(mode === 'unicast'
      ? { unicastPeers: [PEER], unicastPeerTtl: { [PEER]: { min: PEER_MIN_TTL, max: 255 } }, checkUnicastSource: true }
      : {}),
  });
}

/** Timers that remember which deadlines are armed, so a test can see a timer move. */
function watchedTimers(time: FakeTime): Timers & { armed: () => number[] } {
  const live = new Set<{ at: number }>();
  return {
    at(deadline, fn, slack) {
      const entry = { at: deadline };
      live.add(entry);
      // The slack only lets the real timers fire early; the fake fires on the deadline.
      void slack;
      const cancel = time.at(deadline, () => {
        live.delete(entry);
        fn();
      });
      return () => {
        live.delete(entry);
        cancel();
      };
    },
    armed: () => [...live].map((e) => e.at).sort((a, b) => a - b),
  };
}

function harness(mode: Mode, version: VrrpVersion, role: Role) {
  const time = new FakeTime();
  const timers = watchedTimers(time);
  const effects: string[] = [];
  const config = configFor(mode, version);
  const runner = new InstanceRunner(config, { text: SELF, bytes: parseIp(SELF).bytes }, {
    clock: time,
    wallClock: () => new Date(0),
    timers,
    sender: {
      send(_payload, destination) {
        effects.push(`advert to ${destination}`);
        return true;
      },
    },
    vips: { take: () => effects.push('take VIPs'), release: () => effects.push('release VIPs'), releaseStale: () => undefined },
    announcer: {
      sent: 0,
      start: () => effects.push('GARP start'),
      burst: () => effects.push('GARP burst'),
      lowerPriorityHeard: () => effects.push('GARP lower priority'),
      stop: () => effects.push('GARP stop'),
    },
    log: silentLogger,
  });
  const dispatcher = new AdvertDispatcher(new Set([SELF]), time, silentLogger);
  dispatcher.add(runner);
  runner.start();
  if (role === 'MASTER') time.advanceBy(4000); // Master_Down_Interval passes unheard
  else deliver(dispatcher, valid({ mode, version, priority: 200 }));
  assert.equal(runner.state, role, `${mode} v${version} harness starts as ${role}`);
  return { time, timers, effects, runner, dispatcher, mode, version };
}

type Harness = ReturnType<typeof harness>;

/** An advert on the wire: the VRRP message and the IP header facts. */
interface Packet {
  payload: Buffer;
  source: string;
  destination: string;
  ttl: number;
}

function deliver(dispatcher: AdvertDispatcher, packet: Packet): void {
  dispatcher.handle(packet.payload, {
    family: 4,
    source: parseIp(packet.source).bytes,
    destination: parseIp(packet.destination).bytes,
    ttl: packet.ttl,
  });
}

interface Shape {
  mode: Mode;
  version: VrrpVersion;
  priority: number;
  source?: string;
  destination?: string;
  ttl?: number;
}

/** The destination the instance's peers use: the group, or our own address for unicast. */
function usualDestination(mode: Mode): string {
  return mode === 'multicast' ? VRRP_MULTICAST_V4 : SELF;
}

function advertOf(shape: Shape, overrides: Partial<Advert> = {}, authPass: string | undefined = PASSWORD): Advert {
  return {
    ...buildAdvert({
      version: shape.version,
      family: 4,
      vrid: VRID,
      priority: shape.priority,
      intervalMs: 1000,
      addresses: ['10.99.0.100'],
      ...(shape.version === 2 && authPass !== undefined ? { authPass } : {}),
    }),
    ...overrides,
  };
}

function packetOf(shape: Shape, advert: Advert): Packet {
  const source = shape.source ?? PEER;
  const destination = shape.destination ?? usualDestination(shape.mode);
  return { payload: encodeAdvert(advert, { source, destination, pseudoHeader: true }), source, destination, ttl: shape.ttl ?? 255 };
}

/** A valid advert from the peer, as the instance's partner sends it. */
function valid(shape: Shape): Packet {
  return packetOf(shape, advertOf(shape));
}

/** Rewrites the checksum after a hand edit, in the form the version uses (v3: with pseudo-header). */
function rechecksum(packet: Packet): Packet {
  const { payload } = packet;
  payload.writeUInt16BE(0, 6);
  const initial = payload[0]! >>> 4 === 3 ? pseudoHeaderSum(4, parseIp(packet.source).bytes, parseIp(packet.destination).bytes, payload.length) : 0;
  payload.writeUInt16BE(internetChecksum(payload, 0, payload.length, initial), 6);
  return packet;
}

interface HostileKind {
  name: string;
  /** Whether the kind exists for this instance (auth only in v2; peer rules only in unicast). */
  applies: (mode: Mode, version: VrrpVersion) => boolean;
  build: (shape: Shape, next: () => number) => Packet;
  /** The reason it must be counted under. */
  reason: DropReason;
}

const other = (version: VrrpVersion): VrrpVersion => (version === 2 ? 3 : 2);
const always = (): boolean => true;

const KINDS: HostileKind[] = [
  // RFC 5798 §7.1 TTL 255, whatever the destination (the defect of issue 10: unicast skipped it).
  { name: 'TTL below 255', applies: (mode) => mode === 'multicast', reason: 'ttl', build: (s, next) => valid({ ...s, ttl: next() % 255 }) },
  { name: 'TTL below 255 to our unicast address', applies: (mode) => mode === 'multicast', reason: 'ttl', build: (s, next) => valid({ ...s, destination: SELF, ttl: next() % 255 }) },
  {
    name: 'too short',
    applies: always,
    reason: 'too-short',
    build: (s, next) => {
      const packet = valid(s);
      return { ...packet, payload: packet.payload.subarray(0, next() % 8) };
    },
  },
  {
    name: 'version neither 2 nor 3',
    applies: always,
    reason: 'version',
    build: (s, next) => {
      const packet = valid(s);
      const versions = [0, 1, 4, 5, 6, 7, 8, 15];
      packet.payload[0] = (versions[next() % versions.length]! << 4) | 1;
      return rechecksum(packet);
    },
  },
  { name: 'type other than advertisement', applies: always, reason: 'type', build: (s, next) => packetOf(s, advertOf(s, { type: 2 + (next() % 14) })) },
  { name: 'count not matching the length', applies: always, reason: 'address-count', build: (s, next) => packetOf(s, advertOf(s, { count: 2 + (next() % 200) })) },
  {
    name: 'wrong checksum',
    applies: always,
    reason: 'checksum',
    build: (s, next) => {
      const packet = valid(s);
      const at = 6 + (next() % 2);
      packet.payload[at] = packet.payload[at]! ^ (1 << (next() % 8));
      return packet;
    },
  },
  { name: 'spoofed from our own address', applies: always, reason: 'own-address', build: (s) => valid({ ...s, source: SELF }) },
  { name: 'another VRID', applies: always, reason: 'vrid', build: (s, next) => packetOf(s, advertOf(s, { vrid: VRID + 1 + (next() % 100) })) },
  {
    name: 'the other VRRP version',
    applies: always,
    reason: 'version-mismatch',
    build: (s) => valid({ ...s, version: other(s.version) }),
  },
  { name: 'no authentication', applies: (_m, v) => v === 2, reason: 'auth-type', build: (s) => packetOf(s, advertOf(s, { authType: AUTH_NONE, authData: Buffer.alloc(8) })) },
  { name: 'IP AH authentication type', applies: (_m, v) => v === 2, reason: 'auth-type', build: (s) => packetOf(s, advertOf(s, { authType: 2 })) },
  { name: 'wrong password', applies: (_m, v) => v === 2, reason: 'auth-password', build: (s) => packetOf(s, advertOf(s, {}, 'guessed!')) },
  { name: 'v2 interval other than ours', applies: (_m, v) => v === 2, reason: 'interval', build: (s, next) => packetOf(s, advertOf(s, { interval: 2 + (next() % 250) })) },
  // keepalived: a multicast instance takes only multicast adverts, a unicast one only unicast.
  { name: 'unicast advert with TTL 255 to a multicast instance', applies: (mode) => mode === 'multicast', reason: 'destination', build: (s) => valid({ ...s, destination: SELF }) },
  { name: 'multicast advert to a unicast instance', applies: (mode) => mode === 'unicast', reason: 'destination', build: (s) => valid({ ...s, destination: VRRP_MULTICAST_V4 }) },
  // keepalived check_unicast_src and unicast_peer min_ttl / max_ttl.
  { name: 'unicast advert from a stranger', applies: (mode) => mode === 'unicast', reason: 'unicast-source', build: (s, next) => valid({ ...s, source: STRANGER, ttl: 1 + (next() % 255) }) },
  { name: "peer's advert below its min_ttl", applies: (mode) => mode === 'unicast', reason: 'peer-ttl', build: (s, next) => valid({ ...s, ttl: next() % PEER_MIN_TTL }) },
];

/** Everything a hostile advert must leave alone. */
function snapshot(h: Harness): string {
  const status = h.runner.status();
  return JSON.stringify({
    state: status.state,
    masterAddress: status.masterAddress,
    priority: status.priority,
    effectivePriority: status.effectivePriority,
    armed: h.timers.armed(),
    effects: h.effects.length,
    received: status.counters.advertsReceived,
  });
}

function totalDrops(h: Harness): Record<DropReason, number> {
  const drops = newDropCounters();
  const status = h.runner.status();
  for (const reason of DROP_REASONS) drops[reason] = (status.drops[reason] ?? 0) + h.dispatcher.unmatchedDrops[reason];
  return drops;
}

test('the kinds cover every drop reason', () => {
  assert.deepEqual(new Set(KINDS.map((k) => k.reason)), new Set(DROP_REASONS));
});

test(`no hostile advert changes an instance's state, master, priority or timers, and each is counted under its reason (${ITERATIONS.toLocaleString('en-US')} seeded adverts)`, (t) => {
  const seed = seedFromEnv('HOTSTANDBY_PROPERTY_SEED');
  t.diagnostic(`seed ${seed} (replay: HOTSTANDBY_PROPERTY_SEED=${seed})`);
  const next = prng(seed);
  const harnesses: Harness[] = [];
  for (const mode of ['multicast', 'unicast'] as const) {
    for (const version of [2, 3] as const) for (const role of ['MASTER', 'BACKUP'] as const) harnesses.push(harness(mode, version, role));
  }
  const counted = newDropCounters();
  for (let i = 0; i < ITERATIONS; i++) {
    const h = harnesses[next() % harnesses.length]!;
    const kinds = KINDS.filter((k) => k.applies(h.mode, h.version));
    const kind = kinds[next() % kinds.length]!;
    // The priorities that hurt most: 0 (a master resigning) and 254 (above any backup).
    const priorities = [0, 254, 1 + (next() % 254)];
    const shape: Shape = { mode: h.mode, version: h.version, priority: priorities[next() % priorities.length]! };
    const packet = kind.build(shape, next);
    const where = `HOTSTANDBY_PROPERTY_SEED=${seed} iteration ${i}: ${kind.name}, priority ${shape.priority}, ${packet.source} → ${packet.destination} TTL ${packet.ttl}, to a ${h.mode} v${h.version} ${h.runner.state}`;
    const before = snapshot(h);
    const dropsBefore = totalDrops(h);
    deliver(h.dispatcher, packet);
    assert.equal(snapshot(h), before, `${where}: changed the instance`);
    const dropsAfter = totalDrops(h);
    const added = DROP_REASONS.filter((r) => dropsAfter[r] !== dropsBefore[r]).map((r) => `${r} +${dropsAfter[r] - dropsBefore[r]}`);
    assert.deepEqual(added, [`${kind.reason} +1`], `${where}: counted as`);
    counted[kind.reason]++;
    // Time goes on between packets; a backup keeps hearing its real master, so it stays backup.
    if (next() % 8 === 0) {
      h.time.advanceBy(next() % 400);
      if (h.runner.state === 'BACKUP') deliver(h.dispatcher, valid({ mode: h.mode, version: h.version, priority: 200 }));
    }
  }
  for (const h of harnesses) assert.notEqual(h.runner.state, 'FAULT');
  t.diagnostic(`counted: ${Object.entries(counted).map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
});

test('the valid advert the hostile ones were made from does move the master, multicast and unicast', () => {
  for (const mode of ['multicast', 'unicast'] as const) {
    for (const version of [2, 3] as const) {
      const h = harness(mode, version, 'MASTER');
      deliver(h.dispatcher, valid({ mode, version, priority: 254 }));
      assert.equal(h.runner.state, 'BACKUP', `${mode} v${version}`);
      assert.equal(h.runner.status().masterAddress, PEER);
      // A unicast peer within its TTL range may be routed: TTL 250 passes.
      if (mode === 'unicast') {
        const m = harness(mode, version, 'MASTER');
        deliver(m.dispatcher, valid({ mode, version, priority: 254, ttl: PEER_MIN_TTL }));
        assert.equal(m.runner.state, 'BACKUP', `${mode} v${version} at TTL ${PEER_MIN_TTL}`);
      }
    }
  }
});

test('two unicast instances sharing a VRID each hear only their own peer', () => {
  const time = new FakeTime();
  const dispatcher = new AdvertDispatcher(new Set([SELF]), time, silentLogger);
  const runners = ['10.99.0.3', '10.99.0.4'].map((peer, n) => {
    const config = instanceConfig({ name: `VI_${n}`, vrid: VRID, advertIntervalMs: 1000, unicastPeers: [peer], checkUnicastSource: true });
    const runner = new InstanceRunner(config, { text: SELF, bytes: parseIp(SELF).bytes }, {
      clock: time,
      wallClock: () => new Date(0),
      timers: time,
      sender: { send: () => true },
      vips: { take: () => undefined, release: () => undefined, releaseStale: () => undefined },
      announcer: { sent: 0, start: () => undefined, burst: () => undefined, lowerPriorityHeard: () => undefined, stop: () => undefined },
      log: silentLogger,
    });
    dispatcher.add(runner);
    runner.start();
    return runner;
  });
  time.advanceBy(4000);
  assert.deepEqual(runners.map((r) => r.state), ['MASTER', 'MASTER']);
  deliver(dispatcher, valid({ mode: 'unicast', version: 3, priority: 254, source: '10.99.0.4' }));
  assert.deepEqual(runners.map((r) => r.state), ['MASTER', 'BACKUP'], "the second instance's peer moves only the second");
  assert.equal(runners[1]!.status().masterAddress, '10.99.0.4');
  deliver(dispatcher, valid({ mode: 'unicast', version: 3, priority: 254, source: STRANGER }));
  assert.equal(runners[0]!.status().drops['unicast-source'], 1, 'a stranger is dropped by the first');
  assert.equal(runners[0]!.state, 'MASTER');
});
