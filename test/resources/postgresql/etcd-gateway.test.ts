/**
 * The etcd JSON gateway client against loopback HTTP servers standing in for members: a silent one
 * accepts connections and never answers (a member whose host is powered off behind a dead link
 * behaves the same for a client: no RST, only the timeout), a live one answers. Reads are hedged
 * to the next member; a compare-and-swap is sent to one member at a time, starting with the one
 * that answered last.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { EtcdGateway, EtcdUnavailableError } from '../../../src/resources/postgresql/etcd-gateway.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function listen(t: TestContext, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A silent member and a live one; counts the requests each received, by path. */
async function members(t: TestContext): Promise<{ endpoints: string[]; silent: string[]; live: string[] }> {
  const silent: string[] = [];
  const live: string[] = [];
  const silentServer = createServer((req) => {
    silent.push(req.url ?? '');
  });
  const liveServer = createServer((req, res) => {
    live.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/v3/kv/txn'
      ? { succeeded: true }
      : { kvs: [{ key: b64('/k'), value: b64('v'), mod_revision: '7', version: '1' }] }));
  });
  return { endpoints: [await listen(t, silentServer), await listen(t, liveServer)], silent, live };
}

test('a read is answered by the next member while the first stays silent, well before the request timeout', async (t) => {
  const { endpoints } = await members(t);
  const gateway = new EtcdGateway({ endpoints, requestTimeoutMs: 5000, hedgeMs: 100 });
  const started = performance.now();
  assert.equal((await gateway.get('/k'))?.modRevision, 7n);
  // Without the hedge this waits the 5 s timeout for the silent member first.
  assert.ok(performance.now() - started < 4000, `answered in ${Math.round(performance.now() - started)} ms`);
});

test('after an answer, reads and compare-and-swaps start at the member that answered; a txn is never sent twice', async (t) => {
  const { endpoints, silent, live } = await members(t);
  const gateway = new EtcdGateway({ endpoints, requestTimeoutMs: 5000, hedgeMs: 100 });
  await gateway.get('/k');
  assert.deepEqual(silent, ['/v3/kv/range']);
  for (let i = 0; i < 3; i++) await gateway.get('/k');
  assert.equal((await gateway.putIf([{ key: '/k', target: 'MOD', modRevision: 7n }], '/k', 'w')).succeeded, true);
  assert.deepEqual(silent, ['/v3/kv/range'], 'the silent member was asked nothing more');
  assert.deepEqual(live.filter((p) => p === '/v3/kv/txn'), ['/v3/kv/txn']);
});

test('with no member answering, the error names every endpoint; an aborted read rejects at once', async (t) => {
  const silentServer = createServer(() => undefined);
  const endpoint = await listen(t, silentServer);
  const gateway = new EtcdGateway({ endpoints: [endpoint, 'http://127.0.0.1:9'], requestTimeoutMs: 300, hedgeMs: 100 });
  await assert.rejects(gateway.get('/k'), (error: Error) => error instanceof EtcdUnavailableError && error.message.includes(endpoint) && error.message.includes('127.0.0.1:9'));
  const slow = new EtcdGateway({ endpoints: [endpoint], requestTimeoutMs: 60_000 });
  const controller = new AbortController();
  const read = slow.get('/k', controller.signal);
  setTimeout(() => controller.abort(new Error('role changed')), 50);
  await assert.rejects(read, /role changed/);
});

test('the member on this host (localHosts) is asked first, even after another answered, and skipped for a while once it fails', async (t) => {
  const asked: string[] = [];
  let homeUp = true;
  const answer = (name: string) => createServer((req, res) => {
    asked.push(name);
    if (name === 'home' && !homeUp) {
      req.socket.destroy(); // a member that does not answer (its process killed)
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kvs: [{ key: b64('/k'), value: b64(name), mod_revision: '7', version: '1' }] }));
  });
  const remote = await listen(t, answer('remote'));
  const homeServer = answer('home');
  await new Promise<void>((resolve) => homeServer.listen(0, '127.0.0.2', resolve));
  t.after(() => {
    homeServer.closeAllConnections();
    homeServer.close();
  });
  const home = `http://127.0.0.2:${(homeServer.address() as AddressInfo).port}`;
  const gateway = new EtcdGateway({ endpoints: [remote, home], requestTimeoutMs: 5000, hedgeMs: 1000, localHosts: new Set(['127.0.0.2']) });
  assert.equal((await gateway.get('/k'))?.value, 'home');
  assert.deepEqual(asked, ['home'], 'the configured first endpoint was not asked: the local one answered');
  homeUp = false;
  assert.equal((await gateway.get('/k'))?.value, 'remote');
  assert.deepEqual(asked, ['home', 'home', 'remote']);
  homeUp = true;
  assert.equal((await gateway.get('/k'))?.value, 'remote');
  assert.deepEqual(asked, ['home', 'home', 'remote', 'remote'], 'within HOME_BACKOFF_MS the failed local member is not asked first');
});
