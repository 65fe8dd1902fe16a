/**
 * The etcd JSON gateway client against two loopback HTTP servers standing in for members: one
 * accepts connections and never answers (a member whose host is powered off behind a dead link
 * behaves the same for a client: no RST, only the timeout), the other answers. The first call
 * pays the timeout once; later calls start at the member that answered.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { EtcdGateway, EtcdUnavailableError } from '../../../src/resources/postgresql/etcd-gateway.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('after a member stops answering, calls go to the one that answered instead of waiting for the silent one', async (t) => {
  const silent = createServer(() => undefined); // never responds
  let answered = 0;
  const live = createServer((_req, res) => {
    answered++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kvs: [{ key: Buffer.from('/k').toString('base64'), value: Buffer.from('v').toString('base64'), mod_revision: '7', version: '1' }] }));
  });
  const endpoints = [await listen(silent), await listen(live)];
  t.after(() => {
    silent.closeAllConnections();
    silent.close();
    live.close();
  });
  const gateway = new EtcdGateway({ endpoints, requestTimeoutMs: 300 });
  const first = performance.now();
  assert.equal((await gateway.get('/k'))?.modRevision, 7n);
  assert.ok(performance.now() - first >= 290, 'the first call waited for the silent member');
  const started = performance.now();
  for (let i = 0; i < 5; i++) assert.equal((await gateway.get('/k'))?.value, 'v');
  // Five calls that each waited for the silent member would take ≥ 1.5 s.
  assert.ok(performance.now() - started < 1400, `later calls went to the live member first (${Math.round(performance.now() - started)} ms)`);
  assert.equal(answered, 6);
});

test('with no member answering, the error names every endpoint', async (t) => {
  const silent = createServer(() => undefined);
  const endpoint = await listen(silent);
  t.after(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const gateway = new EtcdGateway({ endpoints: [endpoint, 'http://127.0.0.1:9'], requestTimeoutMs: 200 });
  await assert.rejects(gateway.get('/k'), (error: Error) => error instanceof EtcdUnavailableError && error.message.includes(endpoint) && error.message.includes('127.0.0.1:9'));
});
