import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressDefence, FIRST_DEFENCE_GAP_MS, LAST_DEFENCE_GAP_MS, QUIET_RESET_MS } from '../../src/daemon/address-defence.js';
import { FakeTime } from '../support/fake-time.js';

function defender(settleMs = 200, master = () => true) {
  const time = new FakeTime();
  const at: number[] = [];
  const defence = new AddressDefence(time, time, settleMs, {
    defend: () => {
      if (!master()) return false;
      at.push(time.now());
      return true;
    },
  });
  return { time, at, defence };
}

test('a claim is answered once, settleMs later, however many frames it came in', () => {
  const { time, at, defence } = defender(200);
  const start = time.now();
  for (let i = 0; i < 5; i++) defence.claimHeard('02:00:00:00:00:02');
  time.advanceBy(199);
  assert.deepEqual(at, []);
  time.advanceBy(1);
  assert.deepEqual(at, [start + 200]);
  time.advanceBy(60_000);
  assert.equal(at.length, 1, 'no claim, no further defence');
  assert.deepEqual(defence.counts, { claims: 5, defences: 1 });
});

test('against a claimant that keeps claiming, the gaps double from 1 s to 32 s and a flood never postpones a defence', () => {
  const { time, at, defence } = defender(200);
  // A forged claim every 10 ms for 200 s.
  for (let ms = 0; ms < 200_000; ms += 10) {
    defence.claimHeard('02:00:00:00:00:66');
    time.advanceBy(10);
  }
  const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
  assert.equal(gaps[0], FIRST_DEFENCE_GAP_MS);
  for (let i = 1; i < gaps.length; i++) assert.equal(gaps[i], Math.min((gaps[i - 1] as number) * 2, LAST_DEFENCE_GAP_MS), `gap ${i}: ${gaps.join(', ')}`);
  assert.ok(gaps.includes(LAST_DEFENCE_GAP_MS), `reached the longest gap: ${gaps.join(', ')}`);
  assert.ok(at.length <= 12, `${at.length} defences in 200 s of flood`);
});

test('after a quiet minute the next conflict is answered quickly again', () => {
  const { time, at, defence } = defender(200);
  for (let i = 0; i < 6; i++) {
    defence.claimHeard('02:00:00:00:00:02');
    time.advanceBy(LAST_DEFENCE_GAP_MS);
  }
  time.advanceBy(QUIET_RESET_MS + 1);
  const before = at.length;
  const claimedAt = time.now();
  defence.claimHeard('02:00:00:00:00:02');
  time.advanceBy(200);
  assert.equal(at.length, before + 1);
  assert.equal(at.at(-1), claimedAt + 200);
});

test('a defence due after we left master is not sent, and stop() drops a pending one', () => {
  let master = true;
  const { time, at, defence } = defender(200, () => master);
  defence.claimHeard('02:00:00:00:00:02');
  master = false;
  time.advanceBy(1_000);
  assert.deepEqual(at, []);
  master = true;
  defence.claimHeard('02:00:00:00:00:02');
  defence.stop();
  time.advanceBy(5_000);
  assert.deepEqual(at, []);
  assert.equal(defence.counts.defences, 0);
});
