import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { createTcpProbe } from '../../src/check/tcp-probe.js';
import { probeTime, waitFor } from './helpers.js';

const signal = () => new AbortController().signal;

test('tcp: a listener that accepts is healthy, and the probe closes its connection', async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const result = await createTcpProbe({ host: '127.0.0.1', port, timeoutMs: 1000 }, probeTime).run(signal());
  assert.equal(result.ok, true, result.detail);
  assert.equal(result.detail, `connected to 127.0.0.1:${port}`);
  await waitFor(() => sockets.length === 1 && (sockets[0]?.readableEnded || sockets[0]?.destroyed) === true, 'the server to see the close');
  sockets[0]?.destroy();
});

test('tcp: IPv6 loopback', async (t) => {
  const server = createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', resolve);
    });
  } catch (err) {
    t.skip(`no IPv6 loopback here: ${(err as Error).message}`);
    return;
  }
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const result = await createTcpProbe({ host: '::1', port, timeoutMs: 1000 }, probeTime).run(signal());
  assert.equal(result.ok, true, result.detail);
  assert.equal(result.detail, `connected to [::1]:${port}`);
});

test('tcp: nothing listening is a failure saying ECONNREFUSED', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const result = await createTcpProbe({ host: '127.0.0.1', port, timeoutMs: 1000 }, probeTime).run(signal());
  assert.equal(result.ok, false);
  assert.equal(result.detail, `connect to 127.0.0.1:${port}: ECONNREFUSED`);
});

test('tcp: a connect that does not complete times out', async (t) => {
  // A listener that never accepts, with a full backlog: the kernel drops further SYNs, so the
  // connect hangs (loopback only). Node always accepts, so a tiny python3 listener does it.
  const listener = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const spawned = await Promise.race([once(listener, 'spawn').then(() => true), once(listener, 'error').then(() => false)]);
  if (!spawned) {
    t.skip('python3 is not available for a never-accepting listener');
    return;
  }
  t.after(() => listener.kill('SIGKILL'));
  const [line] = (await once(listener.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  const filler = connect(port, '127.0.0.1');
  t.after(() => filler.destroy());
  await once(filler, 'connect');
  const result = await createTcpProbe({ host: '127.0.0.1', port, timeoutMs: 300 }, probeTime).run(signal());
  assert.equal(result.ok, false);
  assert.equal(result.detail, `connect to 127.0.0.1:${port} timed out after 300 ms`);
  assert.ok(result.latencyMs >= 299 && result.latencyMs < 2000, `latency ${result.latencyMs}`);
});
