/**
 * The replication-lag alarm end to end (issues 12 and 14), two lab namespaces: a directory
 * resource with `lagAlarm` on the master; the backup's daemon is killed (kill -9), files keep
 * being written on the master, so its lag really grows past the threshold: the daemon raises a
 * `replication-lag` event, shows it in status, and POSTs it signed to a webhook receiver on the
 * master's loopback, which verifies the signature. The backup comes back, catches up, and the
 * cleared event follows, also signed, after the raised one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import type { WebhookReceiverConfig } from '../../src/lab/webhook-receiver-process.js';
import { withLabLogs, YamlDaemonNode } from '../integration/support.js';
import { treeDifferences } from './support/tree-compare.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();
const SECRET = 'lag-alarm-webhook-secret-0123456789';
const RECEIVER_PORT = 8099;

interface Received {
  kind?: string;
  verdict: { ok: boolean; reason?: string };
  payload: { node: string; event: { type: string; message: string; fields?: Record<string, unknown> } } | null;
}

function nodeYaml(host: string, priority: number, vip: string, peer: string, data: string, keyFile: string): string {
  return `global:
  routerId: lag-${host}
  webhooks:
    ops:
      url: http://127.0.0.1:${RECEIVER_PORT}/hook
      secret: ${SECRET}
      events: [replication-lag]
      retries: 8
instances:
  VI_1:
    interface: eth0
    vrid: 61
    priority: ${priority}
    version: 3
    advertInterval: 200ms
    preempt: false
    vips: [${vip}/24]
resources:
  files:
    kind: directory
    follows: VI_1
    path: ${data}
    peers: [${peer}]
    keyFile: ${keyFile}
    veto: { weight: -100 }
    monitorInterval: 250ms
    lagAlarm: { lag: 1s, for: 1s, clearAfter: 1s }
`;
}

class Node extends YamlDaemonNode {
  readonly data: string;

  constructor(lab: Lab, host: string, priority: number, vip: string, peer: string, keyFile: string) {
    super(lab, host);
    this.data = join(lab.dir, `${host}-www`);
    mkdirSync(this.data, { recursive: true });
    lab.writeFile(`${host}.yaml`, nodeYaml(host, priority, vip, peer, this.data, keyFile));
    this.start();
  }
}

test('lagAlarm: a stalled replica raises a signed replication-lag webhook, and its catch-up clears it', { skip, timeout: 150_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const config: WebhookReceiverConfig = { port: RECEIVER_PORT, secret: SECRET };
    const receiver = lab.spawn('a', nodeEntryCommand(new URL('../../src/lab/webhook-receiver-process.js', import.meta.url).href, 'runWebhookReceiver', config), { name: 'webhook-receiver' });
    const received: Received[] = [];
    receiver.onLine((line) => {
      if (line.includes('"event":"received"')) received.push(JSON.parse(line) as Received);
    });
    await receiver.waitForLine(/"event":"listening"/, 15_000);

    const vip = lab.vip4(0);
    const keyFile = lab.writeFile('replication.key', randomBytes(32).toString('hex'));
    const a = new Node(lab, 'a', 150, vip, lab.host('b').ipv4, keyFile);
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a MASTER', timeoutMs: 20_000 });
    const b = new Node(lab, 'b', 100, vip, lab.host('a').ipv4, keyFile);
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b BACKUP', timeoutMs: 20_000 });
    writeFileSync(join(a.data, 'index.html'), 'first');
    await waitFor(async () => (await b.resource())?.eligibility?.eligible === true, { description: "b's copy complete", timeoutMs: 30_000 });
    await waitFor(async () => (await a.resource())?.gauges.lag_seconds === 0, { description: 'a caught up (lag 0)', timeoutMs: 30_000 });
    assert.deepEqual((await a.resource())?.lagAlarm?.raised, false);
    assert.equal(received.length, 0, `no alarm while the replica keeps up: ${JSON.stringify(received)}`);

    // The replica's daemon dies: nothing the master writes now reaches it, and the lag grows.
    await b.process.stop('SIGKILL');
    let n = 0;
    const writer = setInterval(() => writeFileSync(join(a.data, `while-b-is-down-${n++}.txt`), randomBytes(512)), 200);
    t.after(() => clearInterval(writer));
    const raised = await waitFor(() => received.find((r) => r.payload?.event.type === 'replication-lag' && r.payload.event.fields?.['alarm'] === 'raised'), {
      description: 'the raised replication-lag webhook',
      timeoutMs: 30_000,
    });
    clearInterval(writer);
    assert.deepEqual(raised.verdict, { ok: true }, 'the receiver verified the signature');
    assert.equal(raised.kind, 'replication-lag');
    assert.equal(raised.payload?.node, 'lag-a');
    assert.match(raised.payload?.event.message ?? '', /resource 'files' replication lag over the threshold for [\d.]+ s: lag [\d.]+ s \(alarm above 1 s\)/);
    assert.ok(Number(raised.payload?.event.fields?.['lag_seconds']) > 1, JSON.stringify(raised.payload?.event.fields));
    const status = await a.resource();
    assert.equal(status?.lagAlarm?.raised, true, JSON.stringify(status?.lagAlarm));
    assert.equal(received.filter((r) => r.payload?.event.fields?.['alarm'] === 'cleared').length, 0, 'not cleared while the replica is down');

    // Back: it reconnects, catches up, and once the lag stayed low for clearAfter the alarm clears.
    b.start();
    const cleared = await waitFor(() => received.find((r) => r.payload?.event.type === 'replication-lag' && r.payload.event.fields?.['alarm'] === 'cleared'), {
      description: 'the cleared replication-lag webhook',
      timeoutMs: 60_000,
    });
    assert.deepEqual(cleared.verdict, { ok: true });
    assert.match(cleared.payload?.event.message ?? '', /replication lag back below the threshold/);
    assert.ok(received.indexOf(raised) < received.indexOf(cleared), 'raised before cleared');
    assert.deepEqual(await treeDifferences(a.data, b.data), [], 'the replica has every file written while it was down');
    assert.equal((await a.resource())?.lagAlarm?.raised, false);
    const alarms = received.map((r) => r.payload?.event.fields?.['alarm']);
    assert.deepEqual(alarms, ['raised', 'cleared'], 'one of each: no flapping');
    assert.ok(received.every((r) => r.verdict.ok), 'every request signed');
  });
});
