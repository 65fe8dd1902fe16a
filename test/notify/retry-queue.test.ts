/**
 * The delivery queue under mail and webhooks: enqueue never waits, retries back off 1×, 2×, 4×
 * up to the bound, a permanent failure is not retried, a full queue drops its oldest waiting
 * item, close() drops what waits and ends a retry wait at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, RetryQueue, type DeliveryOutcome } from '../../src/notify/retry-queue.js';
import { FakeTime } from '../support/fake-time.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

function harness(deliver: (item: string, attempt: number) => Promise<void>, retries = 3, capacity = 10) {
  const time = new FakeTime();
  const outcomes: DeliveryOutcome<string>[] = [];
  const attempts: Array<[string, number, number]> = [];
  const queue = new RetryQueue<string>({
    deliver: (item, attempt) => {
      attempts.push([item, attempt, time.now()]);
      return deliver(item, attempt);
    },
    isPermanent: (err) => err instanceof Error && err.message === 'permanent',
    policy: { retries, firstDelayMs: 1000, maxDelayMs: 3000 },
    capacity,
    clock: time,
    timers: time,
    onDone: (o) => outcomes.push(o),
  });
  return { time, queue, outcomes, attempts };
}

test('backoffDelay() doubles from the first delay and stops at the cap', () => {
  const policy = { retries: 9, firstDelayMs: 1000, maxDelayMs: 300_000 };
  assert.deepEqual([1, 2, 3, 4, 10].map((n) => backoffDelay(policy, n)), [1000, 2000, 4000, 8000, 300_000]);
});

test('RetryQueue: failures are retried after 1 s, 2 s, 3 s (capped), then given up with the last error', async () => {
  const h = harness(() => Promise.reject(new Error('down')));
  h.queue.enqueue('a');
  assert.equal(h.attempts.length, 0, 'enqueue returns before any delivery starts');
  for (const step of [0, 1000, 2000, 3000]) {
    h.time.advanceBy(step);
    await settle();
  }
  assert.deepEqual(h.attempts.map(([, n, at]) => [n, at]), [[1, 0], [2, 1000], [3, 3000], [4, 6000]]);
  assert.equal(h.outcomes.length, 1);
  assert.equal(h.outcomes[0]?.ok, false);
  assert.equal(h.outcomes[0]?.attempts, 4);
  assert.equal((h.outcomes[0]?.error as Error).message, 'down');
});

test('RetryQueue: a permanent failure is not retried; items go in order, one at a time', async () => {
  let running = 0;
  let most = 0;
  const h = harness(async (item) => {
    running++;
    most = Math.max(most, running);
    await tick();
    running--;
    if (item === 'bad') throw new Error('permanent');
  });
  for (const item of ['x', 'bad', 'y']) h.queue.enqueue(item);
  await h.queue.idle();
  assert.deepEqual(h.outcomes.map((o) => [o.item, o.ok, o.attempts]), [['x', true, 1], ['bad', false, 1], ['y', true, 1]]);
  assert.equal(most, 1);
});

test('RetryQueue: a full queue drops the oldest waiting item; close() drops the rest and ends a retry wait', async () => {
  const h = harness(() => Promise.reject(new Error('down')), 5, 2);
  for (const item of ['a', 'b', 'c', 'd']) h.queue.enqueue(item);
  assert.deepEqual(h.outcomes.map((o) => [o.item, o.dropped]), [['a', 'overflow'], ['b', 'overflow']]);
  await settle();
  assert.equal(h.attempts.length, 1, 'c is being tried; d waits');
  await h.queue.close();
  assert.deepEqual(h.outcomes.slice(2).map((o) => [o.item, o.dropped]), [['d', 'closed'], ['c', 'closed']]);
  h.queue.enqueue('late');
  assert.equal(h.outcomes.at(-1)?.dropped, 'closed');
});
