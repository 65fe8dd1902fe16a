/**
 * The checker's hedged connect (src/lab/jepsen/hedged-connect.ts) with a fake connector on a fake
 * clock: the first attempt to complete wins, a slow first attempt still wins when it completes
 * first, the losers are aborted or closed, every attempt failing gives undefined, and the overall
 * timeout gives up what is still in flight. Hedging stops while an attempt's transport is up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConnectAttempt, type HedgeConnector, type HedgeOptions, hedgedConnect } from '../../src/lab/jepsen/hedged-connect.js';
import { hedgeOptionsOf } from '../../src/lab/jepsen/writer-process.js';
import { FakeTime } from '../support/fake-time.js';

interface FakeAttempt {
  readonly index: number;
  readonly startedAt: number;
  aborted: boolean;
  succeed(): void;
  fail(): void;
  establish(): void;
}

class FakeConnector implements HedgeConnector<string> {
  readonly attempts: FakeAttempt[] = [];
  readonly closed: string[] = [];

  constructor(private readonly time: FakeTime) {}

  attempt(): ConnectAttempt<string> {
    const index = this.attempts.length;
    let succeed = (): void => undefined;
    let fail = (): void => undefined;
    let establish = (): void => undefined;
    const connected = new Promise<string>((resolve, reject) => {
      succeed = () => resolve(`conn${index}`);
      fail = () => reject(new Error(`attempt ${index} failed`));
    });
    const established = new Promise<void>((resolve) => {
      establish = resolve;
    });
    const fake: FakeAttempt = { index, startedAt: this.time.now(), aborted: false, succeed, fail, establish };
    this.attempts.push(fake);
    // Like a socket destroyed mid-connect: an abort makes the attempt fail.
    return { connected, established, abort: () => { fake.aborted = true; fail(); } };
  }

  close(connection: string): void {
    this.closed.push(connection);
  }
}

const OPTIONS: HedgeOptions = { hedgeAfterMs: 200, maxInFlight: 4, timeoutMs: 5000 };
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advances the fake clock in 10 ms steps, letting promise callbacks run between them. */
async function advance(time: FakeTime, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    time.advanceBy(10);
    await settle();
  }
}

function start(options: HedgeOptions = OPTIONS): { time: FakeTime; connector: FakeConnector; result: Promise<string | undefined>; outcome: () => string | undefined | 'pending' } {
  const time = new FakeTime();
  const connector = new FakeConnector(time);
  let outcome: string | undefined | 'pending' = 'pending';
  const result = hedgedConnect(connector, options, time);
  void result.then((value) => {
    outcome = value;
  });
  return { time, connector, result, outcome: () => outcome };
}

test('hedgedConnect() starts another attempt every hedgeAfterMs while none completed, up to maxInFlight at once', async () => {
  const { time, connector, outcome } = start();
  assert.equal(connector.attempts.length, 1, 'one attempt at once');
  await advance(time, 190);
  assert.equal(connector.attempts.length, 1, 'no hedge before hedgeAfterMs');
  await advance(time, 600);
  assert.deepEqual(connector.attempts.map((a) => a.startedAt), [0, 200, 400, 600], 'a hedge every 200 ms');
  assert.ok(connector.attempts.every((a) => !a.aborted), 'no attempt was given up for a newer one below the limit');
  assert.equal(outcome(), 'pending');
});

test('hedgedConnect() at maxInFlight replaces the oldest attempt still without its handshake (a lost SYN), so attempts stay every hedgeAfterMs', async () => {
  const { time, connector, outcome } = start();
  connector.attempts[0]?.establish(); // reached a server that is slow to answer: never replaced
  await settle();
  await advance(time, 2000);
  const starts = connector.attempts.map((a) => a.startedAt);
  assert.deepEqual(starts.slice(0, 3), [0, 800, 1000], 'quiet for 4 × 200 ms after the handshake, then hedges');
  const inFlight = connector.attempts.filter((a) => !a.aborted).length;
  assert.equal(inFlight, 4, 'never more than 4 in flight');
  assert.equal(connector.attempts[0]?.aborted, false, 'the attempt whose handshake completed is kept');
  assert.deepEqual(starts.slice(3), [1200, 1400, 1600, 1800, 2000], 'at the limit, one every 200 ms in place of the oldest unestablished one');
  assert.deepEqual(connector.attempts.filter((a) => a.aborted).map((a) => a.startedAt), [800, 1000, 1200, 1400], 'the oldest unestablished attempts were replaced');
  assert.equal(outcome(), 'pending', 'a replaced attempt failing does not end the connect');
});

test('hedgedConnect() takes the first attempt to complete (a hedge) and aborts the ones in flight', async () => {
  const { time, connector, result } = start();
  await advance(time, 450);
  assert.equal(connector.attempts.length, 3);
  connector.attempts[2]?.succeed();
  assert.equal(await result, 'conn2');
  assert.deepEqual(connector.attempts.map((a) => a.aborted), [true, true, false], 'the others are given up');
  await advance(time, 1000);
  assert.equal(connector.attempts.length, 3, 'no attempt starts after the winner');
  assert.equal(time.timersPending, 0, 'no timer left behind');
});

test('hedgedConnect() keeps a slow first attempt: it wins when it completes first, and a later completion is closed', async () => {
  const time = new FakeTime();
  // A connector whose attempts ignore abort (the connection arrives anyway): the loser is closed.
  const connector = new FakeConnector(time);
  const stubborn: HedgeConnector<string> = {
    attempt: () => ({ ...connector.attempt(), abort: () => undefined }),
    close: (c) => connector.close(c),
  };
  const result = hedgedConnect(stubborn, OPTIONS, time);
  await advance(time, 300);
  assert.equal(connector.attempts.length, 2);
  connector.attempts[0]?.succeed();
  assert.equal(await result, 'conn0', 'the first attempt, 300 ms slow, still wins');
  connector.attempts[1]?.succeed();
  await settle();
  assert.deepEqual(connector.closed, ['conn1'], 'the loser that connected later is closed');
});

test('hedgedConnect() gives undefined once every attempt failed, and goes on while one is still in flight', async () => {
  const { time, connector, outcome } = start();
  await advance(time, 250);
  connector.attempts[1]?.fail();
  await settle();
  assert.equal(outcome(), 'pending', 'one failed, the first is still in flight');
  connector.attempts[0]?.fail();
  await settle();
  assert.equal(outcome(), undefined);
  assert.equal(time.timersPending, 0);

  const quick = start();
  quick.connector.attempts[0]?.fail(); // refused at once (RST): the caller retries, as before
  assert.equal(await quick.result, undefined);
  assert.equal(quick.connector.attempts.length, 1);
});

test('hedgedConnect() gives up what is in flight at the overall timeout', async () => {
  const { time, connector, outcome } = start({ hedgeAfterMs: 200, maxInFlight: 3, timeoutMs: 2000 });
  for (const a of [0]) connector.attempts[a]?.establish();
  await settle();
  await advance(time, 1990);
  assert.equal(outcome(), 'pending', 'slow attempts are not given up before the timeout');
  assert.equal(connector.attempts[0]?.aborted, false, 'the established first attempt is still waited for');
  await advance(time, 20);
  assert.equal(outcome(), undefined);
  assert.ok(connector.attempts.every((a) => a.aborted), 'every attempt in flight is aborted');
});

test('hedgedConnect() starts no hedge for maxInFlight × hedgeAfterMs after an attempt\'s transport is up (the server is slow, not the SYN lost)', async () => {
  const { time, connector, result } = start();
  await advance(time, 250);
  assert.equal(connector.attempts.length, 2);
  connector.attempts[1]?.establish();
  await settle();
  await advance(time, 700);
  assert.equal(connector.attempts.length, 2, 'no attempt within 800 ms of the handshake');
  connector.attempts[1]?.fail(); // the established one dropped: hedging resumes at once
  await advance(time, 200);
  assert.equal(connector.attempts.length, 3);
  connector.attempts[2]?.succeed();
  assert.equal(await result, 'conn2');
});

test('hedgedConnect() resumes hedging when an established attempt stays unanswered past the quiet time', async () => {
  const { time, connector } = start({ hedgeAfterMs: 200, maxInFlight: 2, timeoutMs: 5000 });
  connector.attempts[0]?.establish();
  await settle();
  await advance(time, 390);
  assert.equal(connector.attempts.length, 1, 'quiet for 2 × 200 ms');
  await advance(time, 20);
  assert.equal(connector.attempts.length, 2, 'then another attempt beside the silent one');
  assert.equal(connector.attempts[0]?.aborted, false);
});

test('hedgedConnect() with hedgeAfterMs Infinity is a single attempt with a timeout (the old client)', async () => {
  const { time, connector, outcome } = start({ hedgeAfterMs: Number.POSITIVE_INFINITY, maxInFlight: 1, timeoutMs: 1000 });
  await advance(time, 990);
  assert.equal(connector.attempts.length, 1);
  assert.equal(outcome(), 'pending');
  await advance(time, 20);
  assert.equal(outcome(), undefined);
  assert.equal(connector.attempts[0]?.aborted, true);
});

test('hedgedConnect() counts a connector that throws as a failed attempt', async () => {
  const time = new FakeTime();
  const result = hedgedConnect<string>({ attempt: () => { throw new Error('no socket'); }, close: () => undefined }, OPTIONS, time);
  assert.equal(await result, undefined);
  assert.equal(time.timersPending, 0);
});

test('hedgedConnect() rejects bad options with a RangeError naming them', () => {
  const connector: HedgeConnector<string> = { attempt: () => { throw new Error('not called'); }, close: () => undefined };
  assert.throws(() => hedgedConnect(connector, { ...OPTIONS, hedgeAfterMs: 0 }), { name: 'RangeError', message: /hedgeAfterMs/ });
  assert.throws(() => hedgedConnect(connector, { ...OPTIONS, maxInFlight: 0 }), { name: 'RangeError', message: /maxInFlight/ });
  assert.throws(() => hedgedConnect(connector, { ...OPTIONS, maxInFlight: 1.5 }), { name: 'RangeError', message: /maxInFlight/ });
  assert.throws(() => hedgedConnect(connector, { ...OPTIONS, timeoutMs: Number.NaN }), { name: 'RangeError', message: /timeoutMs/ });
});

test('hedgeOptionsOf() gives the writers 200 ms hedges, 5 in flight, 5 s overall; connectHedgeMs 0 is the single-attempt client', () => {
  assert.deepEqual(hedgeOptionsOf({}), { hedgeAfterMs: 200, maxInFlight: 5, timeoutMs: 5000 });
  assert.deepEqual(hedgeOptionsOf({ connectHedgeMs: 0, connectTimeoutMs: 1000, connectAttempts: 3 }), { hedgeAfterMs: Number.POSITIVE_INFINITY, maxInFlight: 1, timeoutMs: 1000 });
  assert.deepEqual(hedgeOptionsOf({ connectHedgeMs: 250, connectAttempts: 4 }), { hedgeAfterMs: 250, maxInFlight: 4, timeoutMs: 5000 });
  assert.throws(() => hedgeOptionsOf({ connectHedgeMs: -5 }), { name: 'RangeError', message: /connectHedgeMs must be 0 \(no hedging\) or a positive number of ms, got -5/ });
  assert.throws(() => hedgeOptionsOf({ connectAttempts: 0 }), { name: 'RangeError', message: /maxInFlight/ });
});
