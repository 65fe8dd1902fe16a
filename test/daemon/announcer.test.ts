import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduledAnnouncer } from '../../src/daemon/announcer.js';
import { FakeTime } from '../support/fake-time.js';

test('ScheduledAnnouncer: a burst now, another after garp_master_delay, refreshes', () => {
  const time = new FakeTime();
  const rounds: number[] = [];
  const announcer = new ScheduledAnnouncer(
    { masterRepeat: 5, masterDelayMs: 5000, masterRefreshMs: 60_000, masterRefreshRepeat: 2, intervalMs: 0 },
    time,
    time,
    () => {
      rounds.push(time.now());
      return 2; // two VIPs
    },
  );
  announcer.start();
  assert.deepEqual(rounds, [0, 0, 0, 0, 0]);
  time.advanceTo(5000);
  assert.equal(rounds.length, 10);
  time.advanceTo(120_000);
  assert.deepEqual(rounds.slice(10), [60_000, 60_000, 120_000, 120_000]);
  assert.equal(announcer.sent, 28);
  announcer.stop();
  time.advanceTo(1_000_000);
  assert.equal(rounds.length, 14, 'nothing after stop');
});

test('ScheduledAnnouncer spaces a burst by vrrp_garp_interval', () => {
  const time = new FakeTime();
  const rounds: number[] = [];
  const announcer = new ScheduledAnnouncer(
    { masterRepeat: 3, masterDelayMs: 0, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 10 },
    time,
    time,
    () => (rounds.push(time.now()), 1),
  );
  announcer.start();
  time.advanceTo(100);
  assert.deepEqual(rounds, [0, 10, 20]);
});

test('ScheduledAnnouncer on a lower-priority advert: garp_lower_prio_repeat now and after garp_lower_prio_delay, one pending second burst', () => {
  const time = new FakeTime();
  const rounds: number[] = [];
  const announcer = new ScheduledAnnouncer(
    { masterRepeat: 5, masterDelayMs: 0, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 0 },
    time,
    time,
    () => (rounds.push(time.now()), 1),
    { garpRepeat: 2, garpDelayMs: 1000 },
  );
  announcer.lowerPriorityHeard();
  time.advanceTo(100);
  announcer.lowerPriorityHeard(); // the other side's next advert, before it yields
  assert.deepEqual(rounds, [0, 0, 100, 100]);
  time.advanceTo(5000);
  assert.deepEqual(rounds.slice(4), [1000, 1000], 'one second burst, not one per advert heard');
  announcer.lowerPriorityHeard();
  announcer.stop();
  time.advanceTo(10_000);
  assert.deepEqual(rounds.slice(6), [5000, 5000], 'the delayed burst is cancelled when leaving master');
});
