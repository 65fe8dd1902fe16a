import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreciseTime } from '../../src/daemon/real-time.js';
import { loadNative } from '../../src/net/native.js';

function realTime(): PreciseTime {
  const native = loadNative();
  return new PreciseTime((onFire) => new native.PreciseTimer(onFire), (err) => assert.fail(String(err)));
}

test('PreciseTime fires timers in deadline order, never before their deadline, and skips cancelled ones', async () => {
  const time = realTime();
  const start = time.now();
  const fired: Array<{ name: string; late: number }> = [];
  const deadlines = { c: start + 30, a: start + 5, b: start + 12.5, d: start + 20 };
  const cancels: Record<string, () => void> = {};
  for (const [name, deadline] of Object.entries(deadlines)) {
    cancels[name] = time.at(deadline, () => fired.push({ name, late: time.now() - deadline }));
  }
  cancels.d?.();
  await new Promise<void>((resolve) => time.at(start + 40, resolve));
  time.close();
  assert.deepEqual(
    fired.map((f) => f.name),
    ['a', 'b', 'c'],
  );
  for (const f of fired) assert.ok(f.late >= 0, `timer ${f.name} fired ${-f.late} ms early`);
});

test('PreciseTime: a timer callback that throws does not stop the next one', async () => {
  const native = loadNative();
  const errors: unknown[] = [];
  const time = new PreciseTime((onFire) => new native.PreciseTimer(onFire), (err) => errors.push(err));
  const start = time.now();
  time.at(start + 1, () => {
    throw new Error('boom');
  });
  await new Promise<void>((resolve) => time.at(start + 2, resolve));
  time.close();
  assert.equal(errors.length, 1);
});

/**
 * A stand-in for the native timer that records what it was asked and fires on demand. An arm is
 * recorded as the deadline it aims at, relative to `start` (rounded to 100 ms): the delay itself
 * shrinks by however long a loaded machine took to get from one step of a test to the next.
 */
function recordingTimer() {
  const calls: string[] = [];
  let onFire: () => void = () => undefined;
  const time: PreciseTime = new PreciseTime(
    (fire) => {
      onFire = fire;
      return {
        arm: (ms) => calls.push(`arm ${Math.round((time.now() + ms - start) / 100) * 100}`),
        disarm: () => calls.push('disarm'),
        close: () => calls.push('close'),
      };
    },
    (err) => assert.fail(String(err)),
  );
  const start = time.now();
  return { time, start, calls, fire: () => onFire() };
}

const turnEnds = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('PreciseTime re-arms once per turn, and not for a deadline that was cancelled', async () => {
  const { time, start, calls } = recordingTimer();
  // A backup hearing an advert: the old master-down deadline goes, a later one comes.
  const cancelOld = time.at(start + 1000, () => assert.fail('cancelled timer ran'));
  await turnEnds();
  assert.deepEqual(calls, ['arm 1000']);
  cancelOld();
  time.at(start + 2000, () => undefined);
  time.at(start + 3000, () => undefined);
  await turnEnds();
  assert.deepEqual(calls, ['arm 1000', 'arm 2000'], 'one re-arm for the new earliest deadline');
  time.at(start + 2500, () => undefined);
  await turnEnds();
  assert.equal(calls.length, 2, 'a later deadline needs no system call');
});

test('PreciseTime runs a timer early when it allows it and the timer is awake anyway', async () => {
  const { time, start, fire } = recordingTimer();
  const ran: string[] = [];
  time.at(start - 1, () => ran.push('due'));
  time.at(start + 500, () => ran.push('within its slack'), 1000);
  time.at(start + 600, () => ran.push('exact'));
  time.at(start + 700, () => ran.push('behind an exact one'), 1000);
  fire();
  assert.deepEqual(ran, ['due', 'within its slack'], 'stops at the first timer that must wait');
});
