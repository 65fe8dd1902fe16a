/**
 * A browser that stops reading its event stream, or vanishes, over the real TCP listener with a
 * session cookie: the daemon drops it once its queue is full, keeps answering everyone else, and
 * producing events never waits for it.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { createControlApi } from '../../src/api/control-api.js';
import { boundPort, closeServer, listenControlTcp } from '../../src/api/control-socket.js';
import { dashboardRoutes } from '../../src/ui/routes.js';
import { populatedControl } from '../api/fake-control.js';

const ADMIN = 'admin-token-0123456789abcdef';

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function start() {
  const control = populatedControl();
  const api = createControlApi(control, { routes: dashboardRoutes(control), stream: { maxBufferedBytes: 64 * 1024 } });
  const server = await listenControlTcp(api, { host: '127.0.0.1', port: 0, adminToken: ADMIN });
  const port = boundPort(server);
  const base = `http://127.0.0.1:${port}`;
  const login = await fetch(`${base}/ui/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN }) });
  assert.equal(login.status, 200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const stop = async () => {
    api.close();
    await closeServer(server, 100);
  };
  return { control, port, base, cookie, stop };
}

/** A browser's stream request on a raw socket that is never read from. */
function stalledStream(port: number, cookie: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

test('a browser that stops reading its stream is dropped once 64 KiB queue; the daemon goes on answering', async (t) => {
  const { control, port, base, cookie, stop } = await start();
  t.after(stop);
  const subscribersBefore = control.listeners.size;
  const socket = await stalledStream(port, cookie);
  t.after(() => socket.destroy());
  await waitFor(() => control.listeners.size === subscribersBefore + 1, 'the stream subscribed');
  const filler = 'x'.repeat(4000);
  const started = performance.now();
  for (let i = 0; i < 5000 && control.listeners.size > subscribersBefore; i++) control.emit('check', `${filler} ${i}`);
  const emitMs = performance.now() - started;
  await waitFor(() => control.listeners.size === subscribersBefore, 'the stalled stream dropped');
  t.diagnostic(`events produced until the stalled browser was dropped: ${control.eventList.length}, in ${emitMs.toFixed(1)} ms`);
  const status = await fetch(`${base}/v1/status`, { headers: { cookie } });
  assert.equal(status.status, 200);
  const page = await fetch(`${base}/ui/`, { headers: { cookie } });
  assert.equal(page.status, 200);
});

test('a browser that vanishes mid-stream is unsubscribed at once', async (t) => {
  const { control, port, cookie, stop } = await start();
  t.after(stop);
  const before = control.listeners.size;
  const socket = await stalledStream(port, cookie);
  await waitFor(() => control.listeners.size === before + 1, 'the stream subscribed');
  socket.resetAndDestroy();
  await waitFor(() => control.listeners.size === before, 'the stream unsubscribed after the reset');
  control.emit('transition', 'BACKUP → MASTER', 'web');
});

test('a stream request with a garbage Last-Event-ID is a 400, not a hung stream', async (t) => {
  const { base, cookie, stop } = await start();
  t.after(stop);
  const res = await fetch(`${base}/v1/events/stream`, { headers: { cookie, 'last-event-id': '../../etc' } });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /Last-Event-ID must be an id this API sent/);
});
