/**
 * global.web → a real listener: over TLS with the certificate and key read from their files
 * (a throwaway self-signed pair made by openssl), the session cookie Secure, the tokens applied.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createControlApi } from '../../src/api/control-api.js';
import { boundPort, closeServer } from '../../src/api/control-socket.js';
import { listenWeb } from '../../src/api/web-listener.js';
import { opensslUnavailableReason, selfSignedCert } from '../support/tls-cert.js';
import { populatedControl } from './fake-control.js';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

function call(port: number, ca: Buffer, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, ca, servername: 'localhost', headers: { host: `localhost:${port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('global.web with TLS: HTTPS with the configured certificate, tokens applied, the session cookie Secure', { skip: opensslUnavailableReason() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { certFile, keyFile } = selfSignedCert(dir, 'localhost', 'DNS:localhost');
  const api = createControlApi(populatedControl());
  const server = await listenWeb(api, { host: '127.0.0.1', port: 0, tls: { certFile, keyFile }, insecure: false, adminToken: ADMIN, readToken: READ, allowedHosts: [] });
  t.after(async () => {
    api.close();
    await closeServer(server, 100);
  });
  const port = boundPort(server);
  const ca = readFileSync(certFile);
  assert.equal((await call(port, ca, 'GET', '/v1/status', {})).status, 401);
  const status = await call(port, ca, 'GET', '/v1/status', { authorization: `Bearer ${READ}` });
  assert.equal(status.status, 200);
  assert.equal(JSON.parse(status.text).pid, 4242);
  assert.equal((await call(port, ca, 'POST', '/v1/reload', { authorization: `Bearer ${READ}` })).status, 403);
  const login = await call(port, ca, 'POST', '/ui/login', { 'content-type': 'application/json', origin: `https://localhost:${port}` }, JSON.stringify({ token: ADMIN }));
  assert.equal(login.status, 200);
  assert.match(String(login.headers['set-cookie']), new RegExp(`^hs_session_${port}=[\\w-]+; Path=/; HttpOnly; SameSite=Strict; Secure$`));
  const plainOrigin = await call(port, ca, 'POST', '/ui/login', { 'content-type': 'application/json', origin: `http://localhost:${port}` }, JSON.stringify({ token: ADMIN }));
  assert.equal(plainOrigin.status, 403, 'an http:// origin is not this https dashboard');
});
