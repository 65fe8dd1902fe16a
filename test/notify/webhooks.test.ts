/**
 * Webhooks against a receiver on loopback written here: JSON of the event-log record, a signature
 * the receiver verifies (and a forged or replayed one it refuses), retries with backoff after
 * 5xx and timeouts, no retry after a 4xx, the filter by kind (prefixes for kinds subsystems add
 * later), and an event log that never waits for a receiver.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import type { WebhookConfig } from '../../src/config/webhooks.js';
import { EventLog } from '../../src/daemon/event-log.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { waitFor } from '../../src/lab/wait-for.js';
import { kindMatches } from '../../src/notify/webhook/event-filter.js';
import { signatureOf, verifySignature } from '../../src/notify/webhook/signature.js';
import { Webhooks, type WebhookPayload } from '../../src/notify/webhook/webhooks.js';
import { realClock, realTimers } from '../support/real-timers.js';

const SECRET = 'webhook-secret-0123456789abcdef';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  verdict: ReturnType<typeof verifySignature>;
  at: number;
}

/** A receiver that verifies each request as docs/notifications.md says, answering with `answer(n)`. */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = verifySignature(SECRET, body, req.headers['x-hotstandby-signature'] as string | undefined, req.headers['x-hotstandby-timestamp'] as string | undefined, Math.floor(Date.now() / 1000));
      received.push({ headers: req.headers, body, verdict, at: performance.now() });
      const status = answer(received.length);
      if (status === 'hang') return;
      res.writeHead(verdict.ok ? status : 401).end(verdict.ok ? 'ok' : verdict.reason);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function hooks(configs: WebhookConfig[], events: EventLog): Webhooks {
  return new Webhooks(configs, { events, clock: realClock, timers: realTimers, wallClock: () => new Date(), log: silentLogger, node: 'lb1', firstRetryMs: 100 });
}

const hook = (url: string, extra: Partial<WebhookConfig> = {}): WebhookConfig => ({ name: 'ops', url, secret: SECRET, events: ['transition', 'split-brain', 'check', 'backup*'], timeoutMs: 2000, retries: 3, ...extra });

test('signatures: HMAC-SHA256 over "<timestamp>.<body>"; a changed body, a wrong secret or an old timestamp is refused', () => {
  const now = 1_800_000_000;
  const signature = signatureOf(SECRET, now, '{"a":1}');
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  assert.deepEqual(verifySignature(SECRET, '{"a":1}', signature, String(now), now + 10), { ok: true });
  assert.deepEqual(verifySignature(SECRET, '{"a":2}', signature, String(now), now), { ok: false, reason: 'signature does not match' });
  assert.deepEqual(verifySignature(`${SECRET}x`, '{"a":1}', signature, String(now), now), { ok: false, reason: 'signature does not match' });
  assert.equal(verifySignature(SECRET, '{"a":1}', signature, String(now), now + 301).ok, false, 'a replay after 5 min');
  assert.equal(verifySignature(SECRET, '{"a":1}', signatureOf(SECRET, now - 1000, '{"a":1}'), String(now), now).ok, false, 'the timestamp is signed');
  assert.equal(verifySignature(SECRET, '{"a":1}', undefined, String(now), now).ok, false);
});

test('kindMatches(): names, prefixes and * (kinds added later match their family)', () => {
  assert.equal(kindMatches(['backup*'], 'backup-missed'), true);
  assert.equal(kindMatches(['backup*'], 'replication-lag'), false);
  assert.equal(kindMatches(['transition'], 'transitions'), false);
  assert.equal(kindMatches(['*'], 'anything'), true);
});

test('Webhooks: the wanted records arrive as signed JSON with the node; others are not sent', async (t) => {
  const rx = await receiver();
  t.after(() => rx.close());
  const events = new EventLog({ wallClock: () => new Date() });
  const webhooks = hooks([hook(rx.url)], events);
  t.after(() => webhooks.close());
  events.append({ type: 'transition', instance: 'web', message: 'BACKUP → MASTER: master down', fields: { from: 'BACKUP', to: 'MASTER' } });
  events.append({ type: 'reload', message: 'reloaded' });
  events.append({ type: 'backup-failed' as never, message: 'job nightly failed' });
  await waitFor(() => rx.received.length === 2, { description: 'two deliveries' });
  await webhooks.idle();
  assert.equal(rx.received.length, 2, 'the reload is not among the kinds');
  const [first, second] = rx.received.map((r) => JSON.parse(r.body) as WebhookPayload);
  assert.deepEqual({ node: first?.node, type: first?.event.type, instance: first?.event.instance, fields: first?.event.fields }, { node: 'lb1', type: 'transition', instance: 'web', fields: { from: 'BACKUP', to: 'MASTER' } });
  assert.equal(second?.event.type, 'backup-failed');
  for (const r of rx.received) {
    assert.deepEqual(r.verdict, { ok: true });
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-hotstandby-event'], JSON.parse(r.body).event.type);
  }
});

test('Webhooks: 503, then a timeout, then 200: retried with growing waits, the same delivery id each time', async (t) => {
  const rx = await receiver((n) => (n === 1 ? 503 : n === 2 ? 'hang' : 200));
  t.after(() => rx.close());
  const events = new EventLog({ wallClock: () => new Date() });
  const webhooks = hooks([hook(rx.url, { timeoutMs: 300 })], events);
  t.after(() => webhooks.close());
  events.append({ type: 'split-brain', instance: 'web', message: 'split brain' });
  await waitFor(() => rx.received.length === 3, { description: 'three attempts' });
  await webhooks.idle();
  const ids = rx.received.map((r) => r.headers['x-hotstandby-delivery']);
  assert.equal(new Set(ids).size, 1);
  assert.deepEqual(rx.received.map((r) => r.headers['x-hotstandby-attempt']), ['1', '2', '3']);
  const [a, b, c] = rx.received.map((r) => r.at) as [number, number, number];
  // Lower bounds only (a loaded machine is slower, never faster): the backoff waits 100 ms, then 200 ms.
  assert.ok(b - a >= 100 && c - b >= 200, `waits ${b - a} ms then ${c - b} ms`);
  assert.equal(events.since().filter((e) => e.type === 'notification').length, 0, 'delivered in the end: no failure recorded');
});

test('Webhooks: a 4xx is not retried (a wrong secret: the receiver refuses the signature); the failure is recorded, and not sent to webhooks', async (t) => {
  const rx = await receiver();
  t.after(() => rx.close());
  const events = new EventLog({ wallClock: () => new Date() });
  const webhooks = hooks([hook(rx.url, { secret: `${SECRET}-wrong`, events: ['*'] })], events);
  t.after(() => webhooks.close());
  events.append({ type: 'check', message: "check 'api' failed: exit 1" });
  const failure = await waitFor(() => events.since().find((e) => e.type === 'notification'), { description: 'the recorded failure' });
  assert.match(failure.message, /webhook ops: event 1 \(check\) not delivered after 1 attempt\(s\): receiver answered 401: signature does not match/);
  await webhooks.idle();
  assert.equal(rx.received.length, 1, 'one attempt; the failure record itself is not sent (no loop)');
});

test('Webhooks: a receiver that never answers holds up neither the event log nor other webhooks; retries stop at the bound', async (t) => {
  const dead = await receiver(() => 'hang');
  const live = await receiver();
  t.after(() => Promise.all([dead.close(), live.close()]));
  const events = new EventLog({ wallClock: () => new Date() });
  const webhooks = hooks([hook(dead.url, { name: 'dead', timeoutMs: 200, retries: 2 }), hook(live.url, { name: 'live' })], events);
  t.after(() => webhooks.close());
  const started = performance.now();
  for (let i = 0; i < 50; i++) events.append({ type: 'transition', instance: 'web', message: `change ${i}` });
  assert.ok(performance.now() - started < 100, 'append() does not wait for receivers');
  await waitFor(() => live.received.length === 50, { description: 'the live receiver gets all 50' });
  await waitFor(() => events.since().some((e) => e.type === 'notification'), { description: 'the dead one gives up on the first' });
  assert.match(events.since().find((e) => e.type === 'notification')?.message ?? '', /webhook dead: event 1 .* after 3 attempt\(s\): no answer within 200 ms/);
});
