import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstanceRunner } from '../../src/daemon/instance-runner.js';
import { AdvertDispatcher } from '../../src/daemon/advert-dispatcher.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { Announcer } from '../../src/daemon/ports.js';
import type { InstanceConfig } from '../../src/config/model.js';
import { instanceConfig } from '../support/instance-config.js';
import { buildAdvert, decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import { FakeTime } from '../support/fake-time.js';
import { parseIp } from '../../src/vrrp/ip-address.js';

const ip = (text: string): Buffer => parseIp(text).bytes;

function harness(overrides: Partial<InstanceConfig> = {}, onLowerPriority?: (instance: string, from: string, priority: number) => void) {
  const time = new FakeTime();
  const sent: Array<{ payload: Buffer; destination: string }> = [];
  const vipCalls: string[] = [];
  const staleCalls: string[] = [];
  const announcer: Announcer & { calls: string[] } = {
    calls: [],
    sent: 0,
    start() {
      this.calls.push('start');
    },
    burst() {
      this.calls.push('burst');
    },
    lowerPriorityHeard() {
      this.calls.push('lowerPriorityHeard');
    },
    stop() {
      this.calls.push('stop');
    },
  };
  const runner = new InstanceRunner(
    instanceConfig(overrides),
    { text: '10.99.0.2', bytes: Buffer.from([10, 99, 0, 2]) },
    {
      clock: time,
      wallClock: () => new Date(0),
      timers: time,
      sender: {
        send(payload, destination) {
          sent.push({ payload, destination });
          return true;
        },
      },
      vips: { take: () => vipCalls.push('take'), release: () => vipCalls.push('release'), releaseStale: () => staleCalls.push('releaseStale') },
      announcer,
      log: silentLogger,
      ...(onLowerPriority ? { onLowerPriority } : {}),
    },
  );
  return { time, sent, vipCalls, staleCalls, announcer, runner };
}

function peerAdvert(priority: number, vrid = 51, source = '10.99.0.3') {
  const advert = buildAdvert({ version: 3, family: 4, vrid, priority, intervalMs: 100, addresses: ['10.99.0.100'] });
  return encodeAdvert(advert, { source, destination: '224.0.0.18', pseudoHeader: true });
}

test('InstanceRunner becomes master when no advert arrives: VIPs, a decodable advert, GARPs', () => {
  const h = harness();
  h.runner.start();
  assert.equal(h.runner.state, 'BACKUP');
  h.time.advanceBy(3 * 100 + 61); // Master_Down_Interval for priority 100 at 100 ms
  assert.equal(h.runner.state, 'MASTER');
  assert.deepEqual(h.vipCalls, ['take']);
  assert.deepEqual(h.announcer.calls, ['start']);
  const first = h.sent[0];
  assert.ok(first);
  assert.equal(first.destination, '224.0.0.18');
  const [advert] = decodeAdvert(first.payload, 0, 4);
  assert.equal(advert.priority, 100);
  assert.equal(advert.vrid, 51);
  assert.deepEqual(advert.addresses, ['10.99.0.100'], 'excluded VIPs are not advertised');
  h.time.advanceBy(1000);
  assert.equal(h.sent.length, 11, 'one advert per 100 ms');
  assert.ok(h.sent.every((s) => s.payload.equals(first.payload)), 'the same bytes every interval');
});

test('InstanceRunner yields to a higher-priority advert through the dispatcher', () => {
  const h = harness();
  const dispatcher = new AdvertDispatcher(new Set(['10.99.0.2']), h.time, silentLogger);
  dispatcher.add(h.runner);
  h.runner.start();
  h.time.advanceBy(500);
  assert.equal(h.runner.state, 'MASTER');
  dispatcher.handle(peerAdvert(200), { family: 4, source: ip('10.99.0.3'), destination: ip('224.0.0.18'), ttl: 255 });
  assert.equal(h.runner.state, 'BACKUP');
  assert.deepEqual(h.vipCalls, ['take', 'release']);
  assert.equal(h.runner.status().masterAddress, '10.99.0.3');
});

test('the master-down timer runs from the kernel receive time of the advert, unless that time is implausible', () => {
  const masterDownMs = 3 * 100 + 61; // priority 100 at 100 ms
  const info = { family: 4 as const, source: ip('10.99.0.3'), destination: ip('224.0.0.18'), ttl: 255 };
  for (const { lagMs, expectedLagMs, why } of [
    { lagMs: 5, expectedLagMs: 5, why: 'an advert the loop got to 5 ms late counts from its arrival' },
    { lagMs: -5, expectedLagMs: 0, why: 'a receive time in the future is not trusted' },
    { lagMs: 5000, expectedLagMs: 0, why: 'a receive time older than the loop can lag is not trusted' },
  ]) {
    const h = harness();
    const dispatcher = new AdvertDispatcher(new Set(['10.99.0.2']), h.time, silentLogger);
    dispatcher.add(h.runner);
    h.runner.start();
    h.time.advanceBy(200);
    dispatcher.handle(peerAdvert(200), { ...info, receivedAt: h.time.now() - lagMs });
    h.time.advanceBy(masterDownMs - expectedLagMs - 0.5);
    assert.equal(h.runner.state, 'BACKUP', `${why}: not before`);
    h.time.advanceBy(1);
    assert.equal(h.runner.state, 'MASTER', `${why}: then master`);
  }
});

test('AdvertDispatcher counts drops by reason on the instance of the VRID and keeps state', () => {
  const h = harness();
  const dispatcher = new AdvertDispatcher(new Set(['10.99.0.2']), h.time, silentLogger);
  dispatcher.add(h.runner);
  h.runner.start();
  h.time.advanceBy(500);
  const good = peerAdvert(200);
  const badChecksum = Buffer.from(good);
  badChecksum[6] = (badChecksum[6] as number) ^ 0xff;
  const looped = peerAdvert(200, 51, '10.99.0.2');
  const rx = { family: 4 as const, source: ip('10.99.0.3'), destination: ip('224.0.0.18'), ttl: 255 };
  for (let i = 0; i < 50; i++) {
    dispatcher.handle(good, { ...rx, ttl: 64 });
    dispatcher.handle(badChecksum, rx);
    dispatcher.handle(good.subarray(0, 5), rx);
    dispatcher.handle(looped, { ...rx, source: ip('10.99.0.2') });
  }
  dispatcher.handle(peerAdvert(200, 77), rx);
  const drops = h.runner.status().drops;
  assert.equal(drops.ttl, 50);
  assert.equal(drops.checksum, 50);
  assert.equal(drops['too-short'], 50);
  assert.equal(drops['own-address'], 50);
  assert.equal(dispatcher.unmatchedDrops.vrid, 1);
  assert.equal(h.runner.state, 'MASTER', 'hostile packets do not move the master');
  dispatcher.handle(good, rx);
  assert.equal(h.runner.state, 'BACKUP', 'one valid higher-priority advert does');
});

test('InstanceRunner stop as master sends priority 0 and keeps the VIPs until the new master is heard', async () => {
  const h = harness();
  const dispatcher = new AdvertDispatcher(new Set(['10.99.0.2']), h.time, silentLogger);
  dispatcher.add(h.runner);
  h.runner.start();
  h.time.advanceBy(500);
  h.sent.length = 0;
  h.runner.stop();
  assert.equal(h.runner.state, 'INIT');
  const [advert] = decodeAdvert(h.sent[0]?.payload as Buffer, 0, 4);
  assert.equal(advert.priority, 0);
  assert.deepEqual(h.vipCalls, ['take'], 'still serving while the backup takes over');
  dispatcher.handle(peerAdvert(100), { family: 4, source: ip('10.99.0.3'), destination: ip('224.0.0.18'), ttl: 255 });
  assert.deepEqual(h.vipCalls, ['take', 'release'], 'released once the new master is heard');
  await h.runner.released();
});

test('InstanceRunner stop as master with nobody taking over releases after the longest master-down interval', async () => {
  const h = harness();
  h.runner.start();
  h.time.advanceBy(500);
  h.runner.stop();
  h.time.advanceBy(300);
  assert.deepEqual(h.vipCalls, ['take']);
  h.time.advanceBy(200); // 3 × 100 ms + (255/256) × 100 ms ≈ 400 ms
  assert.deepEqual(h.vipCalls, ['take', 'release']);
  await h.runner.released();
  assert.equal(h.time.timersPending, 0, 'no timer left running');
});

test('InstanceRunner sends to each unicast peer instead of the group', () => {
  const h = harness({ unicastPeers: ['10.99.0.3', '10.99.0.4'] });
  h.runner.start();
  h.time.advanceBy(500);
  assert.deepEqual(
    h.sent.slice(0, 2).map((s) => s.destination),
    ['10.99.0.3', '10.99.0.4'],
  );
});

test('InstanceRunner fault sources: FAULT while any is set, BACKUP when all clear', () => {
  const h = harness();
  h.runner.start();
  h.time.advanceBy(500);
  h.runner.setFault('link:eth0', 'eth0 down');
  h.runner.setFault('check:web', 'web failed');
  assert.equal(h.runner.state, 'FAULT');
  h.runner.setFault('link:eth0', undefined);
  assert.equal(h.runner.state, 'FAULT');
  h.runner.setFault('check:web', undefined);
  assert.equal(h.runner.state, 'BACKUP');
  assert.equal(h.runner.status().lastTransition?.to, 'BACKUP');
});

test('InstanceRunner adds priority offsets and clamps to 1..254', () => {
  const h = harness();
  h.runner.start();
  h.runner.setPriorityOffset('checks', 300);
  assert.equal(h.runner.status().effectivePriority, 254);
  h.runner.setPriorityOffset('checks', -20);
  h.runner.setPriorityOffset('track_interface', -10);
  assert.equal(h.runner.status().effectivePriority, 70);
  assert.deepEqual(h.runner.status().priorityOffsets, { checks: -20, track_interface: -10 });
  h.runner.setPriorityOffset('checks', -500);
  assert.equal(h.runner.status().effectivePriority, 1);
});

test('InstanceRunner maintenance: a master lowers its priority; nobody takes over: it serves again (no-peer), or, forced, steps down and stays backup', async () => {
  const h = harness();
  h.runner.start();
  h.time.advanceBy(500);
  assert.equal(h.runner.state, 'MASTER');
  const refused = h.runner.setMaintenance(true);
  const [lowered] = decodeAdvert(h.sent[h.sent.length - 1]?.payload as Buffer, 0, 4);
  assert.equal(lowered.priority, 1, 'advertises priority 1 at once');
  h.time.advanceBy(2000);
  assert.equal(await refused, 'no-peer');
  assert.equal(h.runner.state, 'MASTER');
  assert.equal(h.runner.maintenance, false);
  assert.ok(!h.vipCalls.includes('release'), 'the VIPs never went down');
  assert.equal(h.runner.status().effectivePriority, 100);

  const forced = h.runner.setMaintenance(true, true);
  h.time.advanceBy(2000);
  assert.equal(await forced, 'left-without-peer');
  assert.equal(h.runner.state, 'BACKUP');
  assert.ok(h.vipCalls.includes('release'));
  h.time.advanceBy(10_000);
  assert.equal(h.runner.state, 'BACKUP', 'held: no takeover while in maintenance');
  await h.runner.setMaintenance(false);
  h.time.advanceBy(1000);
  assert.equal(h.runner.state, 'MASTER', 'back in service');
  assert.equal(h.runner.status().effectivePriority, 100);
});

test('InstanceRunner asks for VIPs left by an earlier run to be removed at start, on reload and in FAULT, not as master', () => {
  const h = harness();
  h.runner.start();
  assert.deepEqual(h.staleCalls, ['releaseStale'], 'starting as backup');
  h.runner.updateConfig(h.runner.config);
  assert.equal(h.staleCalls.length, 2, 'a reload while backup');
  h.time.advanceBy(500);
  assert.equal(h.runner.state, 'MASTER');
  h.runner.updateConfig(h.runner.config);
  assert.equal(h.staleCalls.length, 2, 'never while master');
  h.runner.setFault('link', 'eth0 down');
  assert.deepEqual(h.vipCalls, ['take', 'release'], 'master → fault releases its own VIPs');
  h.runner.setFault('link', undefined);
  assert.equal(h.staleCalls.length, 3, 'fault → backup');
});

test('InstanceRunner as master answers a lower-priority advert, announces again and reports it; lower_prio_no_advert only silences the answer', () => {
  for (const noAdvert of [false, true]) {
    const heard: string[] = [];
    const h = harness({ lowerPriority: { noAdvert, garpRepeat: 5, garpDelayMs: 5000 } }, (instance, from, priority) => heard.push(`${instance} ${from} ${priority}`));
    const dispatcher = new AdvertDispatcher(new Set(['10.99.0.2']), h.time, silentLogger);
    dispatcher.add(h.runner);
    h.runner.start();
    h.time.advanceBy(500);
    assert.equal(h.runner.state, 'MASTER');
    const sentBefore = h.sent.length;
    dispatcher.handle(peerAdvert(50), { family: 4, source: ip('10.99.0.3'), destination: ip('224.0.0.18'), ttl: 255 });
    assert.equal(h.runner.state, 'MASTER');
    assert.equal(h.sent.length - sentBefore, noAdvert ? 0 : 1, noAdvert ? 'lower_prio_no_advert: no answer' : 'answered at once');
    assert.deepEqual(h.announcer.calls, ['start', 'lowerPriorityHeard'], 'GARPs either way');
    assert.deepEqual(heard, ['VI_1 10.99.0.3 50']);
  }
  const silent = harness({ lowerPriority: { noAdvert: false, garpRepeat: 0, garpDelayMs: 0 } });
  silent.runner.start();
  silent.time.advanceBy(500);
  silent.runner.receive(decodeAdvert(peerAdvert(50), 0, 4)[0], ip('10.99.0.3'));
  assert.deepEqual(silent.announcer.calls, ['start'], 'garp_lower_prio_repeat 0: no GARPs');
});
