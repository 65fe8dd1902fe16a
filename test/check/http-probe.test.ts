import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHttpProbe, HTTP_BODY_LIMIT, type HttpProbeConfig } from '../../src/check/http-probe.js';
import { probeTime, waitFor } from './helpers.js';

const run = promisify(execFile);

interface TestServer {
  url: string;
  requests: IncomingMessage[];
  /** Connections accepted so far, and how many are still open. */
  connections: Socket[];
  openConnections(): number;
  close(): Promise<void>;
}

async function listen(server: Server, protocol: 'http' | 'https'): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const connections: Socket[] = [];
  server.on('request', (req: IncomingMessage) => requests.push(req));
  server.on(protocol === 'https' ? 'secureConnection' : 'connection', (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${protocol}://127.0.0.1:${port}`,
    requests,
    connections,
    openConnections: () => connections.filter((s) => !s.destroyed).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  return listen(createServer(handler), 'http');
}

function config(overrides: Partial<HttpProbeConfig> & { url: string }): HttpProbeConfig {
  return { expectStatus: [[200, 299]], tlsVerify: true, timeoutMs: 2000, ...overrides };
}

const probeOnce = (c: HttpProbeConfig, signal = new AbortController().signal) => createHttpProbe(c, probeTime).run(signal);

test('http: 200 is healthy, with latency', async (t) => {
  const server = await httpServer((_req, res) => res.end('ok'));
  t.after(() => server.close());
  const result = await probeOnce(config({ url: `${server.url}/health` }));
  assert.equal(result.ok, true, result.detail);
  assert.equal(result.detail, 'HTTP 200');
  assert.ok(result.latencyMs >= 0 && result.latencyMs < 2000);
  assert.equal(server.requests[0]?.url, '/health');
  assert.equal(server.requests[0]?.method, 'GET');
});

test('http: a status outside the expected ranges fails and says which were expected', async (t) => {
  const server = await httpServer((_req, res) => {
    res.statusCode = 503;
    res.end('down');
  });
  t.after(() => server.close());
  const result = await probeOnce(config({ url: server.url, expectStatus: [[200, 204], [301, 301]] }));
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'HTTP 503, expected 200-204, 301');
  const accepting = await probeOnce(config({ url: server.url, expectStatus: [[500, 599]] }));
  assert.equal(accepting.ok, true, 'any range may be healthy');
});

test('http: redirects are not followed', async (t) => {
  const server = await httpServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    } else res.end('ok');
  });
  t.after(() => server.close());
  const result = await probeOnce(config({ url: `${server.url}/` }));
  assert.equal(result.ok, false);
  assert.match(result.detail, /^HTTP 302 \(redirect to \/elsewhere not followed\), expected 200-299$/);
  assert.equal(server.requests.length, 1, 'nothing fetched at the redirect target');
});

test('http: body regex must match; the body read is bounded', async (t) => {
  const big = 'x'.repeat(HTTP_BODY_LIMIT * 4);
  const server = await httpServer((req, res) => {
    if (req.url === '/big-then-marker') res.end(`${big}MARKER`);
    else if (req.url === '/marker-first') res.end(`status: MARKER ${big}`);
    else res.end('status: degraded');
  });
  t.after(() => server.close());
  const bad = await probeOnce(config({ url: `${server.url}/`, bodyRegex: 'status: (ok|MARKER)' }));
  assert.equal(bad.ok, false);
  assert.equal(bad.detail, 'HTTP 200, body does not match /status: (ok|MARKER)/');
  const first = await probeOnce(config({ url: `${server.url}/marker-first`, bodyRegex: 'MARKER' }));
  assert.equal(first.ok, true, first.detail);
  const beyond = await probeOnce(config({ url: `${server.url}/big-then-marker`, bodyRegex: 'MARKER' }));
  assert.equal(beyond.ok, false, 'a marker past the limit is not seen');
  assert.match(beyond.detail, /first 65536 bytes/);
});

test('http: an invalid body regex or URL is a failure result, not an exception', async () => {
  const regex = await probeOnce(config({ url: 'http://127.0.0.1:1/', bodyRegex: '(' }));
  assert.equal(regex.ok, false);
  assert.match(regex.detail, /^invalid body regex/);
  const url = await probeOnce(config({ url: 'not a url' }));
  assert.equal(url.ok, false);
  assert.equal(url.detail, "invalid URL 'not a url'");
  const scheme = await probeOnce(config({ url: 'ftp://127.0.0.1/' }));
  assert.match(scheme.detail, /is not http:\/\/ or https:\/\//);
});

test('http: connection refused', async () => {
  // Take a free port and close it again, so nothing listens there.
  const server = await httpServer(() => {});
  const url = server.url;
  await server.close();
  const result = await probeOnce(config({ url }));
  assert.equal(result.ok, false);
  assert.match(result.detail, /ECONNREFUSED/);
});

test('http: a server that never answers times out and the socket is torn down', async (t) => {
  const server = await httpServer(() => {
    /* never responds */
  });
  t.after(() => server.close());
  const result = await probeOnce(config({ url: server.url, timeoutMs: 200 }));
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'timed out after 200 ms');
  assert.ok(result.latencyMs >= 199 && result.latencyMs < 1500, `latency ${result.latencyMs}`);
  await waitFor(() => server.openConnections() === 0, 'the server to see the connection closed');
});

test('http: a body that trickles past the timeout times out too', async (t) => {
  const server = await httpServer((_req, res) => {
    res.write('partial');
  });
  t.after(() => server.close());
  const result = await probeOnce(config({ url: server.url, bodyRegex: 'done', timeoutMs: 200 }));
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'timed out after 200 ms');
});

test('http: a fresh connection for every probe, closed afterwards; Host override is sent', async (t) => {
  const server = await httpServer((_req, res) => res.end('ok'));
  t.after(() => server.close());
  const probe = createHttpProbe(config({ url: server.url, hostHeader: 'www.example.test' }), probeTime);
  for (let i = 0; i < 3; i++) assert.equal((await probe.run(new AbortController().signal)).ok, true);
  assert.equal(server.connections.length, 3, 'one connection per probe');
  await waitFor(() => server.openConnections() === 0, 'every probe connection to be closed');
  assert.deepEqual(server.requests.map((r) => r.headers.host), ['www.example.test', 'www.example.test', 'www.example.test']);
  assert.equal(server.requests[0]?.headers.connection, 'close');
});

test('http: aborting the signal ends the probe at once', async (t) => {
  const server = await httpServer(() => {});
  t.after(() => server.close());
  const controller = new AbortController();
  const pending = probeOnce(config({ url: server.url, timeoutMs: 10_000 }), controller.signal);
  setTimeout(() => controller.abort(new Error('check stopped')), 20);
  const result = await pending;
  assert.equal(result.ok, false);
  assert.equal(result.detail, 'aborted: check stopped');
});

async function selfSignedCertificate(t: TestContext): Promise<{ key: string; cert: string } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-http-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=hotstandby.test',
      '-addext', 'subjectAltName=DNS:hotstandby.test',
    ]);
  } catch (err) {
    t.skip(`openssl cannot make a test certificate: ${(err as Error).message}`);
    return undefined;
  }
  return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
}

test('https: a self-signed certificate fails with verification on, passes with it off', async (t) => {
  const tls = await selfSignedCertificate(t);
  if (tls === undefined) return;
  const sniNames: string[] = [];
  const server = await listen(
    createTlsServer({ ...tls, SNICallback: (name, cb) => (sniNames.push(name), cb(null)) }, (_req, res) => res.end('secure ok')),
    'https',
  );
  t.after(() => server.close());
  const verified = await probeOnce(config({ url: server.url, tlsVerify: true }));
  assert.equal(verified.ok, false);
  assert.match(verified.detail, /self[- ]signed|unable to verify/i);
  const unverified = await probeOnce(config({ url: server.url, tlsVerify: false, bodyRegex: 'secure ok', hostHeader: 'hotstandby.test' }));
  assert.equal(unverified.ok, true, unverified.detail);
  assert.deepEqual(sniNames, ['hotstandby.test'], 'the Host override is the SNI name when the URL names an address');
});
