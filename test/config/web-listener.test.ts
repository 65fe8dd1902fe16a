/**
 * global.web: the TCP listener's keys, their defaults, and every refusal with file, line and key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GLOBAL_RELOAD, planGlobals } from '../../src/daemon/reload-globals.js';
import { packageRoot } from '../../src/lab/environment.js';
import { instanceYaml, yaml } from './helpers.js';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

function web(lines: string): string {
  return `global:\n  web:\n${lines}\n${instanceYaml('')}`;
}

test('global.web: loopback on port 9180 by default, with the tokens and allowed host names', () => {
  const config = yaml(web(`    adminToken: ${ADMIN}\n    readToken: ${READ}\n    allowedHosts: [LB1.example.net]`)).config;
  assert.deepEqual(config.global.web, { host: '127.0.0.1', port: 9180, insecure: false, adminToken: ADMIN, readToken: READ, allowedHosts: ['lb1.example.net'] });
  assert.equal(yaml(instanceYaml('')).config.global.web, undefined, 'off unless set');
});

test('global.web.listen: an address and port, [v6]:port, or a bare port on loopback', () => {
  const listen = (value: string) => yaml(web(`    listen: "${value}"\n    adminToken: ${ADMIN}`)).config.global.web;
  assert.deepEqual([listen('127.0.0.2:8080')?.host, listen('127.0.0.2:8080')?.port], ['127.0.0.2', 8080]);
  assert.deepEqual([listen('[::1]:8443')?.host, listen('[::1]:8443')?.port], ['::1', 8443]);
  assert.deepEqual([listen('8081')?.host, listen('8081')?.port], ['127.0.0.1', 8081]);
  assert.equal(yaml(web(`    listen: 8082\n    adminToken: ${ADMIN}`)).config.global.web?.port, 8082);
});

test('global.web refuses a non-loopback address without TLS or insecure, naming file, line and key', () => {
  assert.throws(
    () => yaml(web(`    listen: 10.0.0.5:9180\n    adminToken: ${ADMIN}`)),
    /hotstandby\.yaml:3: global\.web\.listen: Listening on 10\.0\.0\.5 \(not loopback\) needs TLS \(tlsCert, tlsKey\), or insecure: true/,
  );
  const insecure = yaml(web(`    listen: 10.0.0.5:9180\n    insecure: true\n    adminToken: ${ADMIN}`)).config.global.web;
  assert.equal(insecure?.insecure, true);
  const tls = yaml(web(`    listen: 10.0.0.5:9180\n    tlsCert: /etc/hs/cert.pem\n    tlsKey: /etc/hs/key.pem\n    adminToken: ${ADMIN}`)).config.global.web;
  assert.deepEqual(tls?.tls, { certFile: '/etc/hs/cert.pem', keyFile: '/etc/hs/key.pem' });
  assert.throws(() => yaml(web(`    tlsCert: /etc/hs/cert.pem\n    adminToken: ${ADMIN}`)), /TLS needs both tlsCert and tlsKey/);
});

test('global.web refuses short, equal or missing tokens, bad addresses and unknown keys', () => {
  assert.throws(() => yaml(web('    adminToken: short')), /global\.web\.adminToken: Token must be at least 16 characters/);
  assert.throws(() => yaml(web(`    adminToken: ${ADMIN}\n    readToken: ${ADMIN}`)), /readToken and adminToken must differ/);
  assert.throws(() => yaml(web('    listen: 127.0.0.1:9180')), /global\.web: Set readToken or adminToken/);
  assert.throws(() => yaml(web(`    listen: lb1:9180\n    adminToken: ${ADMIN}`)), /"lb1:9180" is not an IP address with an optional port/);
  assert.throws(() => yaml(web(`    listen: 127.0.0.1:70000\n    adminToken: ${ADMIN}`)), /Port 70000 is out of range/);
  assert.throws(() => yaml(web(`    adminToken: ${ADMIN}\n    token: x`)), /Unknown key "token"/);
  assert.throws(() => yaml(web(`    adminToken: ${ADMIN}\n    allowedHosts: ["a b"]`)), /"a b" is not a host name/);
});

test('a reload cannot change global.web (the listener opens at start), and its message shows no token', () => {
  assert.equal(GLOBAL_RELOAD.web.reload, 'restart');
  const before = yaml(web(`    adminToken: ${ADMIN}`)).config.global;
  const after = yaml(web(`    adminToken: ${ADMIN}x`)).config.global;
  const plan = planGlobals(before, after);
  assert.equal(plan.refused.length, 1);
  assert.match(plan.refused[0] ?? '', /global web .* cannot change while running/);
  assert.doesNotMatch(plan.refused[0] ?? '', /admin-token/);
});

test('the global.web example of docs/dashboard.md loads', async () => {
  const text = await readFile(join(packageRoot(), 'docs', 'dashboard.md'), 'utf8');
  const [example] = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  assert.ok(example, 'no yaml block in docs/dashboard.md');
  const web = yaml(example).config.global.web;
  assert.deepEqual([web?.host, web?.port, web?.tls?.certFile, web?.allowedHosts], ['10.0.0.5', 9180, '/etc/hotstandby/tls/cert.pem', ['lb1.example.net']]);
});
