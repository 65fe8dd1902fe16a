/**
 * The peer as it reports itself: its /v1/status checked field by field, the poller (interval,
 * timeout, 401 and garbage named, the last report kept with its age while the peer is silent,
 * a real HTTP peer on loopback with the read token), and the rows the dashboard renders from it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/logger.js';
import { packageRoot } from '../../src/net/native.js';
import { renderInstanceTiles } from '../../src/ui/page.js';
import { PeerPoller } from '../../src/ui/peer/peer-poller.js';
import { parsePeerStatus } from '../../src/ui/peer/peer-report.js';
import type { PeerSource } from '../../src/ui/peer-view.js';
import type { Exchange, ExchangeOptions } from '../../src/util/http-exchange.js';
import { yaml } from '../config/helpers.js';
import { FakeTime } from '../support/fake-time.js';
import { realClock, realTimers } from '../support/real-timers.js';
import type { InstanceDetail } from '../../src/api/instance-view.js';

const STATUS = JSON.stringify({ pid: 42, startedAt: '2026-12-02T08:00:00Z', instances: [{ name: 'web', state: 'MASTER', priority: 150, effectivePriority: 150, masterAddress: null, maintenance: false, vips: ['192.0.2.10/24'] }] });
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('parsePeerStatus() takes what hotstandby serves and names what is wrong otherwise', () => {
  assert.equal(parsePeerStatus(STATUS).instances[0]?.state, 'MASTER');
  assert.throws(() => parsePeerStatus('<html>502 Bad Gateway</html>'), /not JSON \("<html>502 Bad Gateway<\/html>"\)/);
  assert.throws(() => parsePeerStatus('{"instances": [{"name": "web", "state": "LEADER"}]}'), /instance web has state "LEADER"/);
  assert.throws(() => parsePeerStatus('[]'), /no instances list/);
});

function poller(answers: Array<Exchange | Error>) {
  const time = new FakeTime();
  const asked: ExchangeOptions[] = [];
  const fetch = async (options: ExchangeOptions): Promise<Exchange> => {
    asked.push(options);
    const next = answers.shift() ?? new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  };
  const p = new PeerPoller({ url: 'https://10.0.0.2:9180', readToken: 'read-token-0123456789abcdef', timeoutMs: 2000, intervalMs: 5000 }, { clock: time, timers: time, wallClock: () => new Date(0), log: silentLogger, fetch });
  return { time, asked, p };
}

test('PeerPoller: asks /v1/status with the read token every interval; a failure keeps the last report and says why', async () => {
  const { time, asked, p } = poller([{ status: 200, body: STATUS, truncated: false }, new Error('no answer within 2000 ms'), { status: 401, body: '{}', truncated: false }, { status: 200, body: STATUS, truncated: false }]);
  assert.equal(p.snapshot().asked, false);
  p.start();
  await settle();
  assert.deepEqual([asked[0]?.url, asked[0]?.headers?.['authorization'], asked[0]?.timeoutMs], ['https://10.0.0.2:9180/v1/status', 'Bearer read-token-0123456789abcdef', 2000]);
  assert.equal(p.snapshot().report?.instances[0]?.state, 'MASTER');
  assert.equal(p.snapshot().receivedMs, 0);
  time.advanceBy(5000);
  await settle();
  assert.equal(p.snapshot().error, 'no answer within 2000 ms');
  assert.equal(p.snapshot().report?.instances[0]?.state, 'MASTER', 'the last report stays, with its time');
  time.advanceBy(5000);
  await settle();
  assert.match(p.snapshot().error ?? '', /answered 401 \(is peerApi\.readToken its read token\?\)/);
  time.advanceBy(5000);
  await settle();
  assert.equal(p.snapshot().error, undefined);
  assert.equal(p.snapshot().receivedMs, 15_000);
  assert.equal(asked.length, 4, 'one request per interval, never overlapping');
  p.close();
  time.advanceBy(60_000);
  await settle();
  assert.equal(asked.length, 4, 'closed: no more requests');
});

test('PeerPoller against an HTTP peer on loopback: the token is sent, a silent peer times out', async (t) => {
  let hang = false;
  const seen: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (hang) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(STATUS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = (server.address() as { port: number }).port;
  const p = new PeerPoller({ url: `http://127.0.0.1:${port}`, readToken: 'read-token-0123456789abcdef', timeoutMs: 300, intervalMs: 1000 }, { clock: realClock, timers: realTimers, wallClock: () => new Date(), log: silentLogger });
  t.after(() => p.close());
  p.start();
  const deadline = Date.now() + 10_000;
  while (p.snapshot().report === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(p.snapshot().report?.instances[0]?.name, 'web');
  assert.equal(seen[0], 'Bearer read-token-0123456789abcdef');
  hang = true;
  while (p.snapshot().error === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(p.snapshot().error, 'no answer within 300 ms');
});

const detail = { name: 'web', vrid: 51, interface: 'eth0', family: 4, version: 3, state: 'BACKUP', priority: { configured: 100, effective: 100, checks: [], interfaces: [], offsets: {} }, vips: ['192.0.2.10'], masterAddress: '10.0.0.2', lastTransition: null, peers: [], maintenance: false } as unknown as InstanceDetail;

test('the tiles show the peer as it reports itself beside the master as this node hears it, with the report\'s age', () => {
  const source = (snapshot: ReturnType<PeerPoller['snapshot']>, now: number): PeerSource => ({ snapshot: () => snapshot, now: () => now });
  const report = parsePeerStatus(STATUS);
  const live = renderInstanceTiles([detail], false, source({ url: 'https://10.0.0.2:9180', report, receivedMs: 1000, asked: true }, 4000)).text;
  assert.match(live, /<dd class="master">10\.0\.0\.2<\/dd>/);
  assert.match(live, /<dt>Peer reports<\/dt><dd class="peer" data-peer="answering" data-peer-state="MASTER"><span class="peer-state">MASTER<\/span>, priority 150 \(configured 150\), master: itself, <span class="peer-asof">as of <span class="peer-age" data-age-ms="3000">3 s<\/span> ago<\/span><\/dd>/);
  assert.match(live, /The peer as it reports itself \(<code>https:\/\/10\.0\.0\.2:9180<\/code>\): answering/);
  const dead = renderInstanceTiles([detail], false, source({ url: 'https://10.0.0.2:9180', report, receivedMs: 1000, asked: true, error: 'no answer within 2000 ms' }, 61_000)).text;
  assert.match(dead, /data-peer="unreachable"/);
  assert.match(dead, /data-age-ms="60000">60 s<\/span> ago<\/span> <strong class="bad">— not answering now<\/strong>/);
  assert.match(dead, /<strong>not answering<\/strong> \(no answer within 2000 ms\); last report/);
  const none = renderInstanceTiles([detail], false).text;
  assert.doesNotMatch(none, /Peer reports|peer-summary/, 'nothing without global.peerApi');
  const escaped = renderInstanceTiles([detail], false, source({ url: 'https://x', asked: true, error: '<script>alert(1)</script>' }, 0)).text;
  assert.doesNotMatch(escaped, /<script>/);
});

test('the peerApi example of docs/dashboard.md loads (with an instance added)', async () => {
  const text = await readFile(join(packageRoot(), 'docs', 'dashboard.md'), 'utf8');
  const example = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((block) => block.includes('peerApi:'));
  assert.ok(example, 'no peerApi example');
  const { config } = yaml(`${example}instances:\n  web:\n    interface: eth0\n    vrid: 51\n    vips: [192.0.2.10]\n`);
  assert.deepEqual(config.global.peerApi, { url: 'https://10.0.0.2:9180', readToken: '3f7c0d9e2b5a4c18a6e0f1d2c3b4a596', caFile: '/etc/hotstandby/tls/peer-ca.pem', timeoutMs: 2000, intervalMs: 5000 });
});
