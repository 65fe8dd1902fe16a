/**
 * The control API over real sockets: the unix socket (mode 0600), the event stream (replay,
 * follow, heartbeat, clean-up), a too-large body, and the TCP listener behind a bearer token.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tokensEqual } from '../../src/api/bearer-auth.js';
import { followEvents, getJson, requestJson } from '../../src/api/control-client.js';
import { createControlApi, type ControlApi } from '../../src/api/control-api.js';
import { boundPort, closeServer, controlSocketPath, listenControlSocket, listenControlTcp } from '../../src/api/control-socket.js';
import type { EventRecord } from '../../src/api/daemon-control.js';
import { bootId } from '../../src/api/event-stream.js';
import { SseParser, type SseMessage } from '../../src/api/sse-parser.js';
import { populatedControl, type FakeDaemonControl } from './fake-control.js';

const scratch = mkdtempSync(join(tmpdir(), 'hs-api-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
async function unixServer(options: Parameters<typeof createControlApi>[1] = {}): Promise<{ control: FakeDaemonControl; api: ControlApi; server: Server; socket: string }> {
  const control = populatedControl();
  const api = createControlApi(control, { metrics: { defaultMetrics: false }, ...options });
  const dir = join(scratch, String(++dirs));
  mkdirSync(dir);
  const socket = controlSocketPath(dir);
  const server = await listenControlSocket(api, socket);
  return { control, api, server, socket };
}

async function stop(api: ControlApi, server: Server): Promise<void> {
  api.close();
  await closeServer(server);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens the event stream with raw HTTP, collecting messages and comment lines. */
function openStream(socket: string, path: string, headers: Record<string, string> = {}) {
  const messages: SseMessage[] = [];
  let raw = '';
  let ended = false;
  const parser = new SseParser((m) => messages.push(m));
  const req = request({ socketPath: socket, path, headers });
  const response = new Promise<{ status: number; contentType: string }>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        parser.push(chunk);
      });
      res.on('end', () => (ended = true));
      resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']) });
    });
    req.on('error', reject);
  });
  req.end();
  return { messages, raw: () => raw, ended: () => ended, response, close: () => req.destroy() };
}

test('the unix socket is mode 0600, serves the API, and replaces a stale socket file', async () => {
  const dir = join(scratch, 'stale');
  mkdirSync(dir);
  const socket = controlSocketPath(dir);
  writeFileSync(socket, 'left by a daemon that died');
  const control = populatedControl();
  const api = createControlApi(control, { metrics: { defaultMetrics: false } });
  const server = await listenControlSocket(api, socket);
  try {
    const mode = statSync(socket).mode;
    assert.ok(statSync(socket).isSocket());
    assert.equal(mode & 0o777, 0o600);
    const status = (await getJson(socket, '/v1/status')) as { pid: number; instances: unknown[] };
    assert.equal(status.pid, 4242);
    assert.equal(status.instances.length, 2);
    const missing = await requestJson(socket, 'GET', '/v1/instances/nope');
    assert.equal(missing.status, 404);
    await assert.rejects(getJson(socket, '/v1/instances/nope'), /No instance named 'nope'/);
  } finally {
    await stop(api, server);
  }
});

test('no daemon on the socket is reported as not running', async () => {
  await assert.rejects(getJson(join(scratch, 'nothing-here.sock'), '/v1/status'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'not-running');
    assert.match(err.message, /No daemon is running/);
    return true;
  });
});

test('event stream: replays after ?since, follows two new events, and unsubscribes when the client leaves', async () => {
  const { control, api, server, socket } = await unixServer();
  try {
    const received: EventRecord[] = [];
    const stopFollowing = new AbortController();
    const following = followEvents(socket, {
      since: 2,
      signal: stopFollowing.signal,
      onEvent: (event) => {
        received.push(event);
        if (received.length === 3) stopFollowing.abort();
      },
    });
    await waitFor(() => received.length === 1 && control.listeners.size === 1, 'the replay of event 3');
    assert.equal(received[0]?.seq, 3);
    control.emit('transition', 'MASTER → BACKUP', 'web');
    control.emit('maintenance', 'maintenance on', 'web');
    assert.equal(await following, 'aborted');
    assert.deepEqual(
      received.map((e) => [e.seq, e.type, e.message]),
      [
        [3, 'check', 'chk_api failed'],
        [4, 'transition', 'MASTER → BACKUP'],
        [5, 'maintenance', 'maintenance on'],
      ],
    );
    await waitFor(() => control.listeners.size === 0, 'the stream to unsubscribe');
  } finally {
    await stop(api, server);
  }
});

test('event stream: Last-Event-ID wins over ?since; ids name the daemon run; heartbeats are comments', async () => {
  const { control, api, server, socket } = await unixServer({ stream: { heartbeatMs: 20 } });
  const boot = bootId(control.status());
  try {
    const stream = openStream(socket, '/v1/events/stream?since=0', { 'last-event-id': `${boot}.1` });
    const { status, contentType } = await stream.response;
    assert.equal(status, 200);
    assert.match(contentType, /^text\/event-stream/);
    await waitFor(() => stream.messages.length === 2, 'the replay after id 1');
    assert.deepEqual(
      stream.messages.map((m) => m.id),
      [`${boot}.2`, `${boot}.3`],
    );
    assert.equal(JSON.parse(stream.messages[0]?.data ?? '{}').message, 'BACKUP → MASTER');
    await waitFor(() => /: heartbeat\n\n/.test(stream.raw()), 'a heartbeat');
    stream.close();
    await waitFor(() => control.listeners.size === 0, 'the stream to unsubscribe');

    // An id from an earlier run of the daemon (numbers started again): everything kept is new.
    const restarted = openStream(socket, '/v1/events/stream', { 'last-event-id': 'zz9.500' });
    await waitFor(() => restarted.messages.length === 3, 'the full replay for an old run id');
    restarted.close();
  } finally {
    await stop(api, server);
  }
});

test('event stream: a bad Last-Event-ID is 400; closing the API ends open streams', async () => {
  const { control, api, server, socket } = await unixServer();
  try {
    const bad = await requestJson(socket, 'GET', '/v1/events/stream?since=x');
    assert.equal(bad.status, 400);
    const badId = await new Promise<number>((resolve, reject) => {
      request({ socketPath: socket, path: '/v1/events/stream', headers: { 'last-event-id': 'not an id' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(badId, 400);
    const stream = openStream(socket, '/v1/events/stream');
    await stream.response;
    await waitFor(() => stream.messages.length === 3 && control.listeners.size === 1, 'the full replay');
    api.close();
    await waitFor(() => stream.ended(), 'the stream to end');
    assert.equal(control.listeners.size, 0);
  } finally {
    await stop(api, server);
  }
});

test('a body over the limit gets 413 over a real connection, and the daemon keeps serving', async () => {
  const { control, api, server, socket } = await unixServer({ bodyLimit: 1024 });
  try {
    const res = await requestJson(socket, 'POST', '/v1/instances/web/maintenance', { on: true, pad: 'x'.repeat(200_000) });
    assert.equal(res.status, 413);
    assert.match(String((res.body as { error: string }).error), /larger than 1024 bytes/);
    assert.deepEqual(control.maintenanceCalls, []);
    assert.equal((await requestJson(socket, 'GET', '/v1/status')).status, 200);
  } finally {
    await stop(api, server);
  }
});

test('TCP listener on 127.0.0.1 needs the bearer token: 401 without or with a wrong one', async () => {
  const control = populatedControl();
  const api = createControlApi(control, { metrics: { defaultMetrics: false } });
  const token = 'c0ffee-0123456789abcdef';
  const server = await listenControlTcp(api, { host: '127.0.0.1', port: 0, token });
  const port = boundPort(server);
  const get = async (headers: Record<string, string>) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/status`, { headers });
    return { status: res.status, auth: res.headers.get('www-authenticate'), body: (await res.json()) as { error?: string; pid?: number } };
  };
  try {
    const none = await get({});
    assert.equal(none.status, 401);
    assert.match(none.auth ?? '', /^Bearer realm="hotstandby"/);
    assert.equal(none.body.error, 'Missing bearer token');
    const wrong = await get({ authorization: `Bearer ${token}x` });
    assert.equal(wrong.status, 401);
    assert.match(wrong.auth ?? '', /error="invalid_token"/);
    assert.equal((await get({ authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` })).status, 401);
    const ok = await get({ authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.pid, 4242);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `bearer ${token}` } });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /hotstandby_instance_priority\{instance="web"\} 150/);
  } finally {
    await stop(api, server);
  }
  await assert.rejects(listenControlTcp(api, { host: '127.0.0.1', port: 0, token: 'short' }), RangeError);
});

test('token comparison: equal only for the identical string', () => {
  assert.equal(tokensEqual('abcdefghijklmnop', 'abcdefghijklmnop'), true);
  assert.equal(tokensEqual('abcdefghijklmnoq', 'abcdefghijklmnop'), false);
  assert.equal(tokensEqual('abcdefghijklmnop-longer', 'abcdefghijklmnop'), false);
  assert.equal(tokensEqual('', 'abcdefghijklmnop'), false);
});
