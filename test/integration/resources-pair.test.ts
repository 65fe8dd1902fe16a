/**
 * Role-following resources on a real pair (issue 11 §1): two daemons in lab namespaces, each
 * with an exec resource that writes a marker file while promoted. The keepalived.conf is
 * unchanged; the resources come from a YAML file that names it (keepalivedConf).
 * - kill -9 of the master: the backup promotes; the old master's resource is put back in the
 *   standby shape when its daemon comes back (as backup: nopreempt).
 * - veto: a node whose resource says "not eligible" is never elected although its priority is
 *   higher; once eligible it takes over.
 * - a promote that hangs times out and the node releases mastership: its VIP never goes up.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { controlSocketPath, getJson, requestJson } from '../../src/api/control-socket.js';
import { AddressMonitor, Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { holders, keepalivedConf, withLabLogs, YamlDaemonNode, type InstanceSpec } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

/** One operation per call; markers, vetoes and hangs by files named after the host. */
const SCRIPT = `#!/bin/sh
dir=$1; host=$2; op=$HOTSTANDBY_OPERATION
[ "$op" = monitor ] || echo "$op" >> "$dir/$host.ops"
case $op in
  promote) if [ -e "$dir/$host.hang" ]; then sleep 600; fi; echo "$HOTSTANDBY_VIPS" > "$dir/$host.active" ;;
  start|demote|stop) rm -f "$dir/$host.active" ;;
  monitor) if [ -e "$dir/$host.veto" ]; then echo "stale data (test veto)"; exit 100; fi ;;
esac
`;

class ResourceNode extends YamlDaemonNode {
  constructor(lab: Lab, host: string, spec: InstanceSpec) {
    super(lab, host);
    this.conf = basename(lab.writeFile(`${host}.conf`, keepalivedConf(spec)));
    this.script = lab.writeFile(`resource-${host}.sh`, SCRIPT);
    this.writeResources('3s');
    this.start();
  }

  private readonly conf: string;
  private readonly script: string;

  /** The YAML that adds the resource to the unchanged keepalived.conf (named relative to it). */
  writeResources(retryAfter: string): void {
    const command = (op: string) => `    ${op}: [/bin/sh, ${this.script}, ${this.lab.dir}, ${this.host}]`;
    writeFileSync(
      this.yamlFile,
      [
        `keepalivedConf: ${this.conf}`,
        'resources:',
        '  marker:',
        '    kind: exec',
        '    follows: VI_1',
        ...['start', 'promote', 'demote', 'stop', 'monitor'].map(command),
        '    monitorInterval: 300ms',
        '    timeouts: { promote: 2s }',
        `    retryAfter: ${retryAfter}`,
        '',
      ].join('\n'),
    );
  }

  async reload(): Promise<{ status: number; body: { message?: string; changes?: string[] } }> {
    return (await requestJson(controlSocketPath(this.runtimeDir), 'POST', '/v1/reload', {}, 20_000)) as { status: number; body: { message?: string; changes?: string[] } };
  }

  async events(): Promise<Array<{ type: string; message: string; fields?: Record<string, unknown> }>> {
    return ((await getJson(controlSocketPath(this.runtimeDir), '/v1/events')) as { events: Array<{ type: string; message: string; fields?: Record<string, unknown> }> }).events;
  }

  marker(): boolean {
    return existsSync(join(this.lab.dir, `${this.host}.active`));
  }

  ops(): string[] {
    const file = join(this.lab.dir, `${this.host}.ops`);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  }
}

const spec = (priority: number, vip: string, extra: Partial<InstanceSpec> = {}): InstanceSpec => ({ version: 3, advertInt: 0.2, vips: [`${vip}/24`], priority, ...extra });

test('kill -9 of the master: the backup promotes its resource; the old master comes back with its resource demoted', { skip, timeout: 120_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const a = new ResourceNode(lab, 'a', spec(150, vip, { nopreempt: true }));
    await waitFor(async () => (await a.state()) === 'MASTER' && a.marker(), { description: 'a MASTER with its resource promoted', timeoutMs: 20_000 });
    const b = new ResourceNode(lab, 'b', spec(100, vip, { nopreempt: true }));
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b BACKUP', timeoutMs: 20_000 });
    assert.equal(await holders(lab, vip), 'a');
    assert.equal(readFileSync(join(lab.dir, 'a.active'), 'utf8').trim(), `${vip}/24`, 'the command saw the VIPs in HOTSTANDBY_VIPS');
    assert.ok(!b.marker(), 'the backup never promoted');
    const [status] = await a.resources();
    assert.equal(status?.phase, 'active');
    assert.equal(status?.lastOperation?.operation, 'promote');
    assert.equal(status?.lastOperation?.result, 'ok');

    const killedAt = performance.now();
    await a.process.stop('SIGKILL');
    // The dead daemon's address stays on a's interface until it runs again; b adds its own.
    await waitFor(async () => (await lab.vipHolder(vip)).includes('b') && b.marker(), { description: 'b holds the VIP with its resource promoted', timeoutMs: 20_000, intervalMs: 20 });
    t.diagnostic(`kill -9 of a → b's resource promoted and VIP up: ${Math.round(performance.now() - killedAt)} ms (advert_int 0.2 s, polled every 20 ms)`);
    assert.deepEqual(b.ops(), ['start', 'promote']);
    assert.ok(a.marker(), 'nobody demoted the dead daemon’s resource (the documented limit)');

    a.start();
    await waitFor(async () => (await a.state()) === 'BACKUP', { description: 'a back as BACKUP', timeoutMs: 20_000 });
    await waitFor(() => !a.marker(), { description: "a's resource back in the standby shape" });
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'the stale VIP gone from a' });
    assert.deepEqual(a.ops(), ['start', 'promote', 'start']);
    const events = await b.events();
    const promote = events.find((e) => e.type === 'resource' && e.fields?.operation === 'promote');
    assert.equal(promote?.fields?.result, 'ok');
    assert.equal(typeof promote?.fields?.durationMs, 'number');
    const metrics = await (await fetchMetrics(b.runtimeDir)).text();
    assert.match(metrics, /hotstandby_resource_phase\{resource="marker",kind="exec",phase="active"\} 1/);

    // Reload with a changed resource: refused on the master (b), applied on the backup (a).
    b.writeResources('4s');
    const refused = await b.reload();
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.match(refused.body.message ?? '', /resources following instance VI_1 \(marker\) would change while it is MASTER/);
    assert.ok(b.marker(), 'the refused reload left the master alone');
    a.writeResources('4s');
    const applied = await a.reload();
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.ok(applied.body.changes?.includes('resources of instance VI_1 rebuilt'));
    await waitFor(() => a.ops().at(-1) === 'start' && a.ops().length === 5, { description: 'a: the old resource stopped, the new one started' });
    assert.deepEqual(a.ops(), ['start', 'promote', 'start', 'stop', 'start']);
  });
});

test('a vetoing node is never elected; a promote that hangs times out and the node releases mastership', { skip, timeout: 120_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    lab.writeFile('a.veto', '');
    const monitor = await AddressMonitor.start(lab, 'a');
    const a = new ResourceNode(lab, 'a', spec(150, vip));
    const b = new ResourceNode(lab, 'b', spec(100, vip));
    await waitFor(async () => (await holders(lab, vip)) === 'b' && b.marker(), { description: 'b master: a (priority 150) vetoes', timeoutMs: 20_000 });
    await waitFor(async () => (await a.resources())[0]?.eligibility?.eligible === false, { description: "a's resource reports the veto" });
    assert.equal(await a.state(), 'FAULT');
    const [vetoed] = await a.resources();
    assert.deepEqual(vetoed?.eligibility, { eligible: false, reason: 'stale data (test veto)' });

    // Eligible again, but its promote will hang: a preempts, times out after 2 s, releases.
    lab.writeFile('a.hang', '');
    const since = Date.now();
    await import('node:fs/promises').then((fs) => fs.rm(join(lab.dir, 'a.veto')));
    await waitFor(async () => (await a.events()).some((e) => e.type === 'resource' && e.fields?.operation === 'promote' && e.fields?.result === 'timeout'), {
      description: "a's promote timed out",
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await a.state()) === 'FAULT' && (await holders(lab, vip)) === 'b', { description: 'a released mastership, b holds the VIP', timeoutMs: 20_000 });
    await waitFor(() => b.marker(), { description: "b's resource promoted again" });
    assert.equal(await monitor.addedAt(vip, since - 60_000), undefined, 'the VIP never went up on a');
    await monitor.stop();

    // The hang gone: after retryAfter a is eligible again and takes over (priority 150, preempt).
    await import('node:fs/promises').then((fs) => fs.rm(join(lab.dir, 'a.hang')));
    await waitFor(async () => (await holders(lab, vip)) === 'a' && a.marker(), { description: 'a master once its promote works', timeoutMs: 30_000 });
    await waitFor(() => !b.marker(), { description: "b's resource demoted" });
  });
});

async function fetchMetrics(runtimeDir: string): Promise<Response> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: controlSocketPath(runtimeDir), path: '/metrics' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks))));
    });
    req.on('error', reject);
    req.end();
  });
}
