import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialQueues } from '../../src/notify/serial-queues.js';

/** A task that records when it starts and finishes only when released. */
function gate(name: string, log: string[]): { task: () => Promise<void>; release: () => void; started: Promise<void> } {
  let release!: () => void;
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const finished = new Promise<void>((r) => (release = r));
  return {
    task: async () => {
      log.push(`${name} start`);
      markStarted();
      await finished;
      log.push(`${name} end`);
    },
    release,
    started,
  };
}

test('SerialQueues runs one key in order, never two at once', async () => {
  const log: string[] = [];
  const queues = new SerialQueues({ maxWaiting: 10 });
  const a = gate('a', log);
  const b = gate('b', log);
  queues.enqueue('VI_1', a.task);
  queues.enqueue('VI_1', b.task);
  assert.deepEqual(log, [], 'nothing starts inside enqueue');
  await a.started;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['a start'], 'b waits for a');
  a.release();
  await b.started;
  b.release();
  await queues.idle();
  assert.deepEqual(log, ['a start', 'a end', 'b start', 'b end']);
});

test('SerialQueues runs different keys independently', async () => {
  const log: string[] = [];
  const queues = new SerialQueues({ maxWaiting: 10 });
  const slow = gate('VI_1', log);
  const fast = gate('VI_2', log);
  queues.enqueue('VI_1', slow.task);
  queues.enqueue('VI_2', fast.task);
  await Promise.all([slow.started, fast.started]);
  fast.release();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['VI_1 start', 'VI_2 start', 'VI_2 end']);
  assert.equal(queues.pending, 1);
  slow.release();
  await queues.idle();
  assert.equal(queues.pending, 0);
});

test('SerialQueues keeps going after a failing task', async () => {
  const queues = new SerialQueues({ maxWaiting: 10 });
  const ran: string[] = [];
  queues.enqueue('k', async () => {
    throw new Error('boom');
  });
  queues.enqueue('k', async () => {
    ran.push('second');
  });
  await queues.idle();
  assert.deepEqual(ran, ['second']);
});

test('SerialQueues drops the oldest waiting task beyond maxWaiting', async () => {
  const log: string[] = [];
  const dropped: string[] = [];
  const queues = new SerialQueues({ maxWaiting: 2, onDrop: (key) => dropped.push(key) });
  const first = gate('1', log);
  queues.enqueue('k', first.task);
  await first.started;
  for (const n of ['2', '3', '4']) {
    queues.enqueue('k', async () => {
      log.push(n);
    });
  }
  assert.deepEqual(dropped, ['k']);
  first.release();
  await queues.idle();
  assert.deepEqual(log, ['1 start', '1 end', '3', '4']);
});

test('SerialQueues.idle resolves at once when nothing is queued', async () => {
  await new SerialQueues({ maxWaiting: 1 }).idle();
});
