import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVERT_EARLY_FRACTION, ADVERT_EARLY_MAX_MS, type Effect, type MachineConfig, VrrpMachine } from '../../src/vrrp/state-machine.js';

const ours = Buffer.from([10, 0, 0, 2]);
const lowerAddress = Buffer.from([10, 0, 0, 1]);
const higherAddress = Buffer.from([10, 0, 0, 3]);

function machine(overrides: Partial<MachineConfig> = {}): VrrpMachine {
  return new VrrpMachine({
    version: 3,
    priority: 100,
    advertIntervalMs: 1000,
    preempt: true,
    preemptDelayMs: 0,
    answerLowerPriority: true,
    primaryAddress: ours,
    ...overrides,
  });
}

function advert(priority: number, source = higherAddress, intervalMs = 1000) {
  return { type: 'advert' as const, advert: { priority, intervalMs, source, from: source.join('.') } };
}

function types(effects: Effect[]): string[] {
  return effects.map((e) => (e.type === 'send-advert' ? `send-advert(${e.priority})` : e.type === 'transition' ? `→${e.to}` : e.type));
}

/** Drives the machine to MASTER through an expired master-down timer. */
function makeMaster(m: VrrpMachine): void {
  m.handle(0, { type: 'startup' });
  const deadline = m.nextDeadline();
  assert.ok(deadline !== undefined);
  m.handle(deadline, { type: 'timer' });
  assert.equal(m.state, 'MASTER');
}

test('startup enters BACKUP with Master_Down_Interval = 3 × interval + Skew_Time (RFC 5798 §6.4.1)', () => {
  const m = machine({ priority: 128 });
  assert.deepEqual(types(m.handle(0, { type: 'startup' })), ['→BACKUP', 'remove-stale-vips']);
  assert.equal(m.nextDeadline(), 3 * 1000 + ((256 - 128) * 1000) / 256);
});

test('v2 Skew_Time is (256 - priority) / 256 seconds whatever the interval (RFC 3768 §6.1)', () => {
  const m = machine({ version: 2, priority: 128, advertIntervalMs: 2000 });
  m.handle(0, { type: 'startup' });
  assert.equal(m.nextDeadline(), 3 * 2000 + 500);
});

test('an address owner (priority 255) becomes MASTER at startup and announces', () => {
  const m = machine({ priority: 255 });
  assert.deepEqual(types(m.handle(0, { type: 'startup' })), ['add-vips', 'send-advert(255)', 'announce', '→MASTER']);
  assert.equal(m.nextDeadline(), 1000);
});

test('the master-down timer makes a backup MASTER: VIPs, advert, announcement', () => {
  const m = machine();
  m.handle(0, { type: 'startup' });
  const deadline = m.nextDeadline() as number;
  assert.deepEqual(m.handle(deadline - 1, { type: 'timer' }), [], 'not before the deadline');
  assert.deepEqual(types(m.handle(deadline, { type: 'timer' })), ['add-vips', 'send-advert(100)', 'announce', '→MASTER']);
});

test('a master sends adverts at its interval and keeps the cadence when woken late', () => {
  const m = machine();
  makeMaster(m);
  const first = m.nextDeadline() as number;
  assert.deepEqual(types(m.handle(first + 5, { type: 'timer' })), ['send-advert(100)']);
  assert.equal(m.nextDeadline(), first + 1000);
});

test('a master may send an advert slightly early (to share a wake-up), never the master-down timer', () => {
  const m = machine({ advertIntervalMs: 10 });
  m.handle(0, { type: 'startup' });
  assert.equal(m.nextDeadlineSlack(), 0, 'a backup’s master-down deadline is exact');
  const down = m.nextDeadline() as number;
  assert.deepEqual(m.handle(down - 0.01, { type: 'timer' }), [], 'no takeover even a little early');
  m.handle(down, { type: 'timer' });
  const slack = m.nextDeadlineSlack();
  assert.equal(slack, 10 * ADVERT_EARLY_FRACTION);
  const due = m.nextDeadline() as number;
  assert.deepEqual(m.handle(due - slack - 0.01, { type: 'timer' }), [], 'earlier than the slack: nothing');
  assert.deepEqual(types(m.handle(due - slack, { type: 'timer' })), ['send-advert(100)']);
  assert.equal(m.nextDeadline(), due + 10, 'the cadence stays on the deadlines, not on the early send');
  const slow = machine({ advertIntervalMs: 1000 });
  makeMaster(slow);
  assert.equal(slow.nextDeadlineSlack(), ADVERT_EARLY_MAX_MS, 'capped for long intervals');
});

test('a backup hearing a higher or equal priority resets its master-down timer', () => {
  for (const priority of [100, 200]) {
    const m = machine();
    m.handle(0, { type: 'startup' });
    m.handle(2000, advert(priority));
    assert.equal(m.nextDeadline(), 2000 + m.masterDownIntervalMs());
    assert.equal(m.lastMasterAddress, '10.0.0.3');
  }
});

test('v3 backup learns Master_Adver_Interval from the master (RFC 5798 §6.4.2)', () => {
  const m = machine({ priority: 128 });
  m.handle(0, { type: 'startup' });
  m.handle(10, advert(200, higherAddress, 100));
  assert.equal(m.learnedAdverIntervalMs, 100);
  assert.equal(m.nextDeadline(), 10 + 3 * 100 + 50);
});

test('priority 0 from the master makes a backup take over after Skew_Time', () => {
  const m = machine({ priority: 128 });
  m.handle(0, { type: 'startup' });
  m.handle(1000, advert(200));
  m.handle(1500, advert(0));
  assert.equal(m.nextDeadline(), 1500 + 500);
});

test('preemption: a lower-priority master is replaced after Skew_Time', () => {
  const m = machine({ priority: 128 });
  m.handle(0, { type: 'startup' });
  m.handle(100, advert(50));
  assert.equal(m.nextDeadline(), 100 + 500);
  assert.deepEqual(types(m.handle(600, { type: 'timer' })), ['add-vips', 'send-advert(128)', 'announce', '→MASTER']);
});

test('nopreempt: a lower-priority master is accepted', () => {
  const m = machine({ priority: 200, preempt: false });
  m.handle(0, { type: 'startup' });
  m.handle(100, advert(50));
  assert.equal(m.nextDeadline(), 100 + m.masterDownIntervalMs());
  assert.equal(m.lastMasterAddress, '10.0.0.3');
});

test('an owner preempts even when nopreempt is set (RFC 5798 §6.1)', () => {
  const m = machine({ priority: 255, preempt: false });
  m.handle(0, { type: 'startup' });
  assert.equal(m.state, 'MASTER');
});

test('preempt_delay: a lower-priority master is tolerated for the delay, then preempted', () => {
  const m = machine({ priority: 128, preemptDelayMs: 5000 });
  m.handle(0, { type: 'startup' });
  m.handle(1000, advert(50));
  assert.equal(m.nextDeadline(), 1000 + m.masterDownIntervalMs(), 'accepted during the delay');
  m.handle(5500, advert(50));
  assert.equal(m.nextDeadline(), 5500 + m.masterDownIntervalMs(), 'still within 5 s of first sight');
  m.handle(6500, advert(50));
  assert.equal(m.nextDeadline(), 6500 + 500, 'after the delay it preempts after Skew_Time');
});

test('a master yields to a higher priority, and to an equal priority from a higher address', () => {
  for (const [priority, source] of [
    [150, lowerAddress],
    [100, higherAddress],
  ] as const) {
    const m = machine();
    makeMaster(m);
    assert.deepEqual(types(m.handle(5000, advert(priority, source))), ['→BACKUP', 'remove-vips']);
    assert.equal(m.nextDeadline(), 5000 + m.masterDownIntervalMs());
  }
});

test('a master answers a lower priority (or equal from a lower address) like keepalived', () => {
  for (const [priority, source] of [
    [50, higherAddress],
    [100, lowerAddress],
  ] as const) {
    const m = machine();
    makeMaster(m);
    assert.deepEqual(types(m.handle(5000, advert(priority, source))), ['send-advert(100)']);
    assert.equal(m.state, 'MASTER');
  }
});

test('with answerLowerPriority off a master discards a lower priority advert (RFC 5798 §6.4.3)', () => {
  const m = machine({ answerLowerPriority: false });
  makeMaster(m);
  assert.deepEqual(m.handle(5000, advert(50)), []);
});

test('shutdown of a master sends priority 0 and releases the VIPs', () => {
  const m = machine();
  makeMaster(m);
  assert.deepEqual(types(m.handle(9000, { type: 'shutdown' })), ['→INIT', 'send-advert(0)', 'remove-vips']);
  assert.equal(m.nextDeadline(), undefined);
});

test('a fault takes a master to FAULT (priority 0, VIPs released); recovery returns to BACKUP', () => {
  const m = machine();
  makeMaster(m);
  assert.deepEqual(types(m.handle(9000, { type: 'fault', reason: 'eth0 down' })), ['→FAULT', 'send-advert(0)', 'remove-vips']);
  assert.deepEqual(m.handle(9100, advert(50)), [], 'adverts are ignored in FAULT');
  assert.deepEqual(types(m.handle(9500, { type: 'recover', reason: 'eth0 up' })), ['→BACKUP', 'remove-stale-vips']);
});

test('a fault present at startup starts in FAULT', () => {
  const m = machine();
  m.handle(0, { type: 'fault', reason: 'link down' });
  assert.deepEqual(types(m.handle(0, { type: 'startup' })), ['→FAULT', 'remove-stale-vips']);
});

test('a priority change on a master is advertised at once', () => {
  const m = machine();
  makeMaster(m);
  assert.deepEqual(types(m.handle(4200, { type: 'priority', priority: 60 })), ['send-advert(60)']);
  assert.equal(m.priority, 60);
});

test('an owner’s priority is never changed', () => {
  const m = machine({ priority: 255 });
  m.handle(0, { type: 'startup' });
  assert.deepEqual(m.handle(10, { type: 'priority', priority: 10 }), []);
  assert.equal(m.priority, 255);
});

test('invalid configuration is refused with a RangeError', () => {
  assert.throws(() => machine({ priority: 0 }), RangeError);
  assert.throws(() => machine({ advertIntervalMs: 0 }), RangeError);
});

test('hold (maintenance): a held backup never takes over; released, it listens again', () => {
  const m = machine();
  m.handle(0, { type: 'startup' });
  m.handle(0, { type: 'hold', on: true });
  assert.equal(m.nextDeadline(), undefined);
  assert.deepEqual(m.handle(1_000_000, { type: 'timer' }), []);
  assert.equal(m.state, 'BACKUP');
  m.handle(2_000_000, { type: 'hold', on: false });
  assert.equal(m.nextDeadline(), 2_000_000 + m.masterDownIntervalMs());
});

test('step-down: a master leaves gracefully to BACKUP with priority 0 and releases the VIPs', () => {
  const m = machine();
  makeMaster(m);
  m.handle(5000, { type: 'hold', on: true });
  assert.deepEqual(types(m.handle(5000, { type: 'step-down', reason: 'maintenance' })), ['→BACKUP', 'send-advert(0)', 'remove-vips']);
  assert.equal(m.nextDeadline(), undefined, 'held: no takeover');
});

test('VIPs an earlier run left behind are released on entering BACKUP or FAULT other than from MASTER, and on reload', () => {
  const m = machine();
  assert.ok(types(m.handle(0, { type: 'startup' })).includes('remove-stale-vips'), 'startup as backup');
  assert.deepEqual(types(m.handle(10, { type: 'reload' })), ['remove-stale-vips'], 'reload while backup');
  assert.ok(types(m.handle(20, { type: 'fault', reason: 'link' })).includes('remove-stale-vips'), 'backup → fault');
  assert.deepEqual(types(m.handle(30, { type: 'reload' })), ['remove-stale-vips'], 'reload while in fault');
  const master = machine();
  makeMaster(master);
  assert.deepEqual(master.handle(5000, { type: 'reload' }), [], 'a master keeps its VIPs on reload');
  assert.ok(!types(master.handle(5000, advert(200))).includes('remove-stale-vips'), 'master → backup releases its own (remove-vips) only');
  const owner = machine({ priority: 255 });
  assert.ok(!types(owner.handle(0, { type: 'startup' })).includes('remove-stale-vips'), 'not when becoming master');
});

test('a master hearing a lower priority re-announces its VIPs and reports it, with or without answering (keepalived)', () => {
  for (const answerLowerPriority of [true, false]) {
    const m = machine({ answerLowerPriority, announceOnLowerPriority: true, reportLowerPriority: true });
    makeMaster(m);
    const expected = [...(answerLowerPriority ? ['send-advert(100)'] : []), 'reannounce', 'lower-priority-heard'];
    assert.deepEqual(types(m.handle(5000, advert(50, lowerAddress))), expected);
    assert.equal(m.state, 'MASTER');
    assert.deepEqual(m.handle(5001, advert(0, lowerAddress)).map((e) => e.type), ['send-advert'], 'a priority-0 advert is not a lower priority');
    assert.ok(!types(m.handle(5002, advert(150))).includes('reannounce'), 'a higher priority makes it yield instead');
  }
  const backup = machine({ announceOnLowerPriority: true, reportLowerPriority: true });
  backup.handle(0, { type: 'startup' });
  assert.deepEqual(backup.handle(10, advert(50)), [], 'only a master re-announces');
});

test('with advertOnYield a master yielding to a higher priority sends one advert of its own first (keepalived higher_prio_send_advert)', () => {
  const m = machine({ advertOnYield: true });
  makeMaster(m);
  assert.deepEqual(types(m.handle(5000, advert(200))), ['send-advert(100)', '→BACKUP', 'remove-vips']);
  const quiet = machine({ advertOnYield: false });
  makeMaster(quiet);
  assert.deepEqual(types(quiet.handle(5000, advert(200))), ['→BACKUP', 'remove-vips']);
});

test('a backup following a higher master ignores a lower advert from another router, but preempts fast when its own master drops', () => {
  const third = Buffer.from([10, 0, 0, 9]);
  const m = machine({ priority: 150 });
  m.handle(0, { type: 'startup' });
  m.handle(100, advert(200));
  const followed = m.nextDeadline();
  // Another router (a master yielding with advertOnYield, priority 100) must not make us preempt.
  assert.deepEqual(m.handle(150, advert(100, third)), []);
  assert.equal(m.nextDeadline(), followed);
  // The followed master itself dropping below us is preempted after Skew_Time.
  m.handle(200, advert(120));
  assert.ok((m.nextDeadline() as number) <= 200 + m.skewTimeMs());
});

/** A master (priority 100, interval 1000 ms) that last advertised at `last` and is stopped from then on. */
function stalledMaster(): { m: VrrpMachine; last: number } {
  const m = machine();
  makeMaster(m);
  const last = m.nextDeadline() as number;
  m.handle(last, { type: 'timer' });
  return { m, last };
}
/** Master_Down_Interval of an equal-priority backup: 3 × 1000 + (156/256) × 1000 ms. */
const PEER_DOWN_MS = 3000 + (156 * 1000) / 256;

test('a master stopped longer than Master_Down_Interval says nothing at the resume and yields the equal-priority tie to the peer that took over', () => {
  // The timer comes first (the event loop runs timers first): no advert yet, it listens.
  const { m, last } = stalledMaster();
  const resumed = last + 2000 + PEER_DOWN_MS;
  assert.deepEqual(m.handle(resumed, { type: 'timer' }), [], 'no advert: ours would win the tie at the new master');
  assert.equal(m.listeningAfterStall, true);
  assert.equal(m.state, 'MASTER');
  const effects = m.handle(resumed + 1, advert(100, lowerAddress));
  assert.deepEqual(types(effects), ['→BACKUP', 'remove-vips'], 'yields although its address is higher, and sends nothing');
  const transition = effects.find((e) => e.type === 'transition');
  assert.match(transition?.type === 'transition' ? transition.reason : '', /with our priority 100 after we sent nothing for \d+ ms \(stopped\): it took over meanwhile/);

  // The queued advert read first, at its kernel receive time during the stop: the same.
  const first = stalledMaster();
  assert.deepEqual(types(first.m.handle(first.last + PEER_DOWN_MS + 1, advert(100, lowerAddress, 1000))), ['→BACKUP', 'remove-vips']);
});

test('after a stall with nobody taking over, the master advertises again after one interval + Skew_Time; a lower priority is preempted, a higher one still wins', () => {
  const { m, last } = stalledMaster();
  const resumed = last + PEER_DOWN_MS + 500;
  m.handle(resumed, { type: 'timer' });
  const listenEnd = resumed + 1000 + (156 * 1000) / 256;
  assert.equal(m.nextDeadline(), listenEnd);
  assert.deepEqual(m.handle(resumed + 10, advert(50, higherAddress)), [], 'a lower-priority stand-in: no answer during the listen');
  assert.deepEqual(m.handle(resumed + 20, { type: 'priority', priority: 110 }), [], 'a priority change waits for the end of the listen');
  assert.deepEqual(types(m.handle(listenEnd, { type: 'timer' })), ['send-advert(110)'], 'then it advertises, preempting the lower priority');
  assert.equal(m.listeningAfterStall, false);
  assert.deepEqual(types(m.handle(listenEnd + 10, advert(110, lowerAddress))), ['send-advert(110)'], 'back to the normal tie-break: a lower address is answered');

  const higher = stalledMaster();
  higher.m.handle(higher.last + PEER_DOWN_MS + 1, { type: 'timer' });
  assert.deepEqual(types(higher.m.handle(higher.last + PEER_DOWN_MS + 2, advert(150, lowerAddress))), ['→BACKUP', 'remove-vips']);
});

test('a master woken late, but by less than an equal-priority backup’s Master_Down_Interval, advertises at once as before', () => {
  const { m, last } = stalledMaster();
  assert.deepEqual(types(m.handle(last + PEER_DOWN_MS - 1, { type: 'timer' })), ['send-advert(100)']);
  assert.equal(m.listeningAfterStall, false);
  assert.deepEqual(types(m.handle(last + PEER_DOWN_MS, advert(100, lowerAddress))), ['send-advert(100)'], 'the usual tie-break: it wins by address');
});
