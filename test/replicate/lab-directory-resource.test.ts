/**
 * `kind: directory` in the real daemon, two lab namespaces (issue 12): files written on the
 * master appear on the backup (any byte in names); the backup reports eligible once its copy is
 * complete; kill -9 of the master: the backup takes over and becomes the source, and the old
 * master, back as BACKUP, catches up from it (the direction reversed) with no split brain,
 * checked by full tree comparisons.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { packageRoot } from '../../src/net/native.js';
import { holders, keepalivedConf, withLabLogs, YamlDaemonNode, type InstanceSpec } from '../integration/support.js';
import { loadNative } from '../../src/net/native.js';
import { encodeXattrList, readXattrList } from '../../src/replicate/xattrs.js';
import { treeDifferences } from './support/tree-compare.js';
import { opensslUnavailableReason, TestCa } from './support/certs.js';

const native = loadNative();

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

class Node extends YamlDaemonNode {
  readonly data: string;

  constructor(
    lab: Lab,
    host: string,
    peer: string,
    spec: InstanceSpec,
    /** `keyFile: …`, or a `tls:` mapping and other keys, as YAML lines under the resource. */
    auth: string | readonly string[],
  ) {
    super(lab, host);
    this.data = join(lab.dir, `${host}-data`);
    mkdirSync(this.data, { recursive: true });
    const conf = lab.writeFile(`${host}.conf`, keepalivedConf(spec));
    lab.writeFile(
      `${host}.yaml`,
      [
        `keepalivedConf: ${conf}`,
        'resources:',
        '  files:',
        '    kind: directory',
        '    follows: VI_1',
        `    path: ${this.data}`,
        `    peers: [${peer}]`,
        ...(typeof auth === 'string' ? [`    keyFile: ${auth}`] : auth),
        '    xattrs: true',
        '    acls: true',
        '    veto: { weight: -100 }',
        '    monitorInterval: 300ms',
        '',
      ].join('\n'),
    );
    this.start();
  }
}

async function same(from: Node, to: Node, description: string): Promise<void> {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await treeDifferences(from.data, to.data, undefined, { xattrs: (full) => encodeXattrList(readXattrList(native, full, { xattrs: true, acls: true })).toString('hex') });
      return last.length === 0;
    },
    { description, timeoutMs: 40_000, intervalMs: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last.slice(0, 5).join('; ')}`);
  });
}

test('directory resource in the daemon: master → backup, kill -9 failover reverses the direction, the old master catches up', { skip, timeout: 170_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const keyFile = lab.writeFile('replication.key', randomBytes(32).toString('hex'));
    const spec = (priority: number): InstanceSpec => ({ version: 3, advertInt: 0.2, vips: [`${vip}/24`], priority, nopreempt: true });
    const a = new Node(lab, 'a', lab.host('b').ipv4, spec(150), keyFile);
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a MASTER', timeoutMs: 20_000 });
    const b = new Node(lab, 'b', lab.host('a').ipv4, spec(100), keyFile);
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b BACKUP', timeoutMs: 20_000 });

    writeFileSync(join(a.data, 'index.html'), 'served by whoever is master');
    mkdirSync(join(a.data, 'uploads'));
    writeFileSync(Buffer.from(join(a.data, 'uploads/na\xefve \n\xff.bin'), 'latin1'), randomBytes(3000));
    writeFileSync(join(a.data, 'big.bin'), randomBytes(3 * 1024 * 1024));
    linkSync(join(a.data, 'big.bin'), join(a.data, 'uploads', 'big-link.bin'));
    native.setXattr(Buffer.from(join(a.data, 'index.html')), 'user.mime_type', Buffer.from('text/html'));
    await same(a, b, 'b has a copy of a (hard links and attributes too)');
    await waitFor(async () => (await b.resource())?.eligibility?.eligible === true, { description: "b's copy complete (eligible)", timeoutMs: 30_000 });
    const master = await a.resource();
    assert.equal(typeof master?.gauges.lag_seconds, 'number', JSON.stringify(master));
    assert.equal(typeof master?.gauges.queue_depth, 'number');

    await a.process.stop('SIGKILL');
    await waitFor(async () => (await b.state()) === 'MASTER' && (await b.resource())?.phase === 'active', { description: 'b master with the directory promoted', timeoutMs: 20_000 });
    writeFileSync(join(b.data, 'index.html'), 'changed on b after the failover');
    writeFileSync(join(b.data, 'uploads/new-on-b.txt'), 'b');
    native.setXattr(Buffer.from(join(b.data, 'uploads/new-on-b.txt')), 'user.origin', Buffer.from('b'));

    a.start();
    await waitFor(async () => (await a.state()) === 'BACKUP', { description: 'a back as BACKUP', timeoutMs: 20_000 });
    await same(b, a, 'a caught up from b');
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'the VIP on b only' });
    const gauges = (await b.resource())?.gauges ?? {};
    assert.equal(gauges.split_brains, 0, `no split brain: ${JSON.stringify(gauges)}`);
    await waitFor(async () => (await a.resource())?.eligibility?.eligible === true, { description: 'a complete again', timeoutMs: 30_000 });
  });
});

test('directory resource in the daemon with certificates (SAN = each node\'s address) and a bandwidth limit; check-config names a bad key file', { skip: skip ?? opensslUnavailableReason(), timeout: 170_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const certs = join(lab.dir, 'certs');
    mkdirSync(certs);
    const ca = TestCa.create(certs, 'ca');
    const tlsLines = (files: { cert: string; key: string; ca: string }) => ['    tls:', `      cert: ${files.cert}`, `      key: ${files.key}`, `      ca: ${files.ca}`, '    bandwidthLimit: 4MiB/s'];
    const aFiles = ca.issue('a', `IP:${lab.host('a').ipv4}`);
    const bFiles = ca.issue('b', `IP:${lab.host('b').ipv4}`);
    const spec = (priority: number): InstanceSpec => ({ version: 3, advertInt: 0.2, vips: [`${vip}/24`], priority, nopreempt: true });
    const a = new Node(lab, 'a', lab.host('b').ipv4, spec(150), tlsLines(aFiles));
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a MASTER', timeoutMs: 20_000 });
    const b = new Node(lab, 'b', lab.host('a').ipv4, spec(100), tlsLines(bFiles));
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b BACKUP', timeoutMs: 20_000 });
    writeFileSync(join(a.data, 'index.html'), 'replicated over mutual TLS 1.3');
    writeFileSync(join(a.data, 'big.bin'), randomBytes(6 * 1024 * 1024));
    await same(a, b, 'b has a copy of a over certificates');
    await waitFor(async () => (await b.resource())?.eligibility?.eligible === true, { description: "b's copy complete", timeoutMs: 30_000 });

    // check-config with b's key in a's place: an error naming the key and the file, exit ≠ 0.
    const bad = lab.writeFile('bad.yaml', readFileSync(a.yamlFile, 'utf8').replace(aFiles.key, bFiles.key));
    const run = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'hotstandby'), 'check-config', bad], { encoding: 'utf8' });
    assert.notEqual(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /resources\.files\.tls\.key: '.*b\.key' does not match the certificate in '.*a\.crt'/);
  });
});
