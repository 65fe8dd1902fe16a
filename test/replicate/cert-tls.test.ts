/**
 * Replication authenticated by certificates (mutual TLS 1.3), over loopback with real sockets and
 * certificates made by the openssl command: bad files named at load, peers with an expired, a
 * foreign or a misnamed certificate refused with an event that says why (nothing applied), and
 * replication resuming once the files are renewed, without a restart.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import { loadNative } from '../../src/net/native.js';
import { CertificateFileError, loadCertificates } from '../../src/replicate/cert-files.js';
import { certTransport } from '../../src/replicate/cert-tls.js';
import { PROTOCOL_VERSION, ReplicaServer, type ReplicaEvent } from '../../src/replicate/replica-server.js';
import { SourceReplicator, type SourceEvent } from '../../src/replicate/source-replicator.js';
import { treeDifferences } from './support/tree-compare.js';
import { certDir, opensslUnavailableReason, TestCa, type CertFiles } from './support/certs.js';

const skip = opensslUnavailableReason();
const clock = { now: () => performance.now() };

/** Copies a set of files to fixed paths (what the config names); renew() puts others there. */
function installed(dir: string, name: string, from: CertFiles): CertFiles & { renew(next: CertFiles): void } {
  const paths = { cert: join(dir, `${name}-live.crt`), key: join(dir, `${name}-live.key`), ca: join(dir, `${name}-live-ca.crt`) };
  const put = (files: CertFiles) => {
    // As certbot and most tools do: a new file renamed over the old one.
    for (const k of ['cert', 'key', 'ca'] as const) {
      copyFileSync(files[k], `${paths[k]}.new`);
      renameSync(`${paths[k]}.new`, paths[k]);
    }
  };
  put(from);
  return { ...paths, renew: put };
}

async function certPair(
  t: { after: (fn: () => Promise<void> | void) => void },
  replicaFiles: CertFiles,
  sourceFiles: CertFiles,
  names: { replicaAllows?: string[]; sourceAllows?: string[] } = {},
) {
  const base = mkdtempSync(join(tmpdir(), 'hs-tls-repl-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  writeFileSync(join(source, 'hello.txt'), 'replicated over mutual TLS');
  const native = loadNative();
  const replicaEvents: ReplicaEvent[] = [];
  const server = new ReplicaServer({
    root: Buffer.from(replica),
    transport: certTransport({ files: replicaFiles, peerNames: names.replicaAllows ?? [], peerAddresses: ['127.0.0.1'] }),
    host: '127.0.0.1',
    port: 0,
    native,
    onEvent: (e) => replicaEvents.push(e),
  });
  const { port } = await server.listen();
  const sourceEvents: SourceEvent[] = [];
  const replicator = new SourceReplicator({
    root: Buffer.from(source),
    replica: { host: '127.0.0.1', port },
    transport: certTransport({ files: sourceFiles, peerNames: names.sourceAllows ?? [], peerAddresses: ['127.0.0.1'] }),
    native,
    clock,
    onEvent: (e) => sourceEvents.push(e),
    retryMs: 100,
  });
  await replicator.start();
  t.after(async () => {
    await replicator.close();
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });
  const converged = (description: string) =>
    waitFor(async () => (await treeDifferences(source, replica)).length === 0 && replicator.status().connected, { description, timeoutMs: 20_000, intervalMs: 50 });
  return { source, replica, replicator, sourceEvents, replicaEvents, converged };
}

test('loadCertificates() names the file at fault: missing, not PEM, key of another certificate, expired, another CA, no subjectAltName', { skip }, (t) => {
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const other = TestCa.create(dir, 'other-ca');
  const good = ca.issue('a', 'IP:127.0.0.1');
  const b = ca.issue('b', 'IP:127.0.0.2');
  const expired = ca.issue('old', 'IP:127.0.0.1', { days: -1 });
  const foreign = other.issue('f', 'IP:127.0.0.1');
  const bare = ca.issue('bare', '');
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
  assert.deepEqual(loadCertificates(good).names, ['IP Address:127.0.0.1']);
  const cases: [CertFiles, 'cert' | 'key' | 'ca', RegExp][] = [
    [{ ...good, cert: join(dir, 'missing.crt') }, 'cert', /missing\.crt' cannot be read: does not exist/],
    [{ ...good, ca: dir }, 'ca', /is a directory/],
    [{ ...good, cert: join(dir, 'junk.pem') }, 'cert', /junk\.pem' is not a PEM certificate/],
    [{ ...good, key: join(dir, 'junk.pem') }, 'key', /junk\.pem' is not a PEM private key/],
    [{ ...good, key: b.key }, 'key', /b\.key' does not match the certificate in '.*a\.crt'/],
    [expired, 'cert', /old\.crt' expired on \d{4}-/],
    [{ ...foreign, ca: ca.cert }, 'cert', /f\.crt' is not signed by the CA in '.*ca\.crt'/],
    [bare, 'cert', /bare\.crt' has no subjectAltName/],
  ];
  for (const [files, setting, message] of cases) {
    assert.throws(
      () => loadCertificates(files),
      (err: Error) => err instanceof CertificateFileError && err.setting === setting && message.test(err.message),
      `${setting}: ${message}`,
    );
  }
});

test('Nodes with certificates from the same CA that name each other replicate over TLS 1.3', { skip }, async (t) => {
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const pair = await certPair(t, ca.issue('replica', 'IP:127.0.0.1'), ca.issue('source', 'IP:127.0.0.1'));
  await pair.converged('the file copied over mutual TLS');
  assert.equal(pair.replicaEvents.some((e) => e.kind === 'refused'), false);
});

test("A node's own expired certificate is reported naming the file and replication starts once it is renewed; a half-renewed set keeps the previous one", { skip }, async (t) => {
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const sourceFiles = installed(dir, 'source', ca.issue('source-old', 'IP:127.0.0.1', { days: -1 }));
  const pair = await certPair(t, ca.issue('replica', 'IP:127.0.0.1'), sourceFiles);
  await waitFor(() => pair.sourceEvents.some((e) => e.kind === 'connect-failed' && /source-live\.crt' expired on/.test(e.reason)), {
    description: 'the expired own certificate reported by file name',
    timeoutMs: 20_000,
  });
  assert.equal(readdirSync(pair.replica).length, 0);
  sourceFiles.renew(ca.issue('source-new', 'IP:127.0.0.1'));
  await pair.converged('after renewal, without a restart');
  // A renewal caught half-way (a new certificate, the old key): the good set stays in use.
  copyFileSync(ca.issue('source-next', 'IP:127.0.0.1').cert, sourceFiles.cert);
  pair.replicator['channel']?.close('test: reconnect');
  writeFileSync(join(pair.source, 'after-half-renewal.txt'), 'still replicated');
  await pair.converged('with the previous good set');
});

/** A raw TLS client with `files` that sends a hello: what the replica answers and reports. */
async function rawHello(port: number, files: CertFiles | undefined, ca: string): Promise<string> {
  const { connect } = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  const { encodeFrame, FrameDecoder } = await import('../../src/replicate/frames.js');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(ca),
      ...(files && { cert: readFileSync(files.cert), key: readFileSync(files.key) }),
      minVersion: 'TLSv1.3',
      checkServerIdentity: () => undefined,
    });
    const decoder = new FrameDecoder();
    socket.on('secureConnect', () => socket.write(encodeFrame({ type: 'hello', id: 1, header: { protocol: PROTOCOL_VERSION }, payload: Buffer.alloc(0) })));
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) resolve(`${frame.type}: ${String(frame.header.message ?? '')}`);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve('closed without a reply'));
  });
}

test('The replica refuses a source whose certificate expired, comes from another CA, names another host or is missing: the event and the reply say why', { skip }, async (t) => {
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const other = TestCa.create(dir, 'other-ca');
  const replica = mkdtempSync(join(tmpdir(), 'hs-tls-replica-'));
  t.after(() => rmSync(replica, { recursive: true, force: true }));
  const events: ReplicaEvent[] = [];
  const server = new ReplicaServer({
    root: Buffer.from(replica),
    transport: certTransport({ files: ca.issue('replica', 'IP:127.0.0.1'), peerNames: [], peerAddresses: ['127.0.0.1'] }),
    host: '127.0.0.1',
    port: 0,
    native: loadNative(),
    onEvent: (e) => events.push(e),
  });
  const { port } = await server.listen();
  t.after(() => server.close());
  const cases: [string, CertFiles | undefined, RegExp][] = [
    ['expired', ca.issue('src-expired', 'IP:127.0.0.1', { days: -1 }), /its certificate has expired \(CERT_HAS_EXPIRED\)/],
    ['another CA', other.issue('src-foreign', 'IP:127.0.0.1'), /its certificate is not signed by the configured CA/],
    ['another name', ca.issue('src-misnamed', 'IP:127.0.0.9'), /its certificate names IP Address:127\.0\.0\.9, not a configured peer \(127\.0\.0\.1\)/],
    ['no certificate', undefined, /it presented no certificate/],
  ];
  for (const [what, files, reason] of cases) {
    const reply = await rawHello(port, files, ca.cert);
    assert.match(reply, /^error: the replica refused this node: /, what);
    assert.match(reply, reason, what);
    assert.ok(events.some((e) => e.kind === 'refused' && reason.test(e.reason)), `${what}: a 'refused' event: ${JSON.stringify(events)}`);
  }
  assert.equal(events.some((e) => e.kind === 'connected'), false, 'no session for a refused source');
  // A good source is still accepted by the same server.
  assert.match(await rawHello(port, ca.issue('src-good', 'IP:127.0.0.1'), ca.cert), /^ok: /);
});

test('The source refuses a replica from another CA, then replication resumes once the replica gets renewed files (no restart on either side)', { skip }, async (t) => {
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const other = TestCa.create(dir, 'other-ca');
  const replicaFiles = installed(dir, 'replica', other.issue('replica-foreign', 'IP:127.0.0.1'));
  const sourceFiles = installed(dir, 'source', ca.issue('source', 'IP:127.0.0.1'));
  const pair = await certPair(t, replicaFiles, sourceFiles);
  await waitFor(() => pair.sourceEvents.some((e) => e.kind === 'connect-failed' && /the replica's certificate is not signed by the configured CA/.test(e.reason)), {
    description: 'the foreign replica refused, with the reason',
    timeoutMs: 20_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(pair.sourceEvents)}`);
  });
  assert.equal(readdirSync(pair.replica).length, 0);
  replicaFiles.renew(ca.issue('replica-renewed', 'IP:127.0.0.1'));
  await pair.converged('after the replica files were renewed');
  // The source's certificate renewed to one naming another host: the replica refuses it and
  // the source's event carries the replica's reason; fixed again, replication resumes.
  sourceFiles.renew(ca.issue('source-misnamed', 'IP:127.0.0.9'));
  pair.replicator['channel']?.close('test: reconnect with the renewed files');
  writeFileSync(join(pair.source, 'misnamed.txt'), 'not yet');
  await waitFor(() => pair.sourceEvents.some((e) => e.kind === 'connect-failed' && /the replica refused this node: its certificate names IP Address:127\.0\.0\.9, not a configured peer/.test(e.reason)), {
    description: "the replica's reason in the source's event",
    timeoutMs: 20_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(pair.sourceEvents)}`);
  });
  assert.ok(pair.replicaEvents.some((e) => e.kind === 'refused' && /127\.0\.0\.9/.test(e.reason)));
  assert.equal(readdirSync(pair.replica).includes('misnamed.txt'), false, 'nothing from a refused source is applied');
  sourceFiles.renew(ca.issue('source-fixed', 'IP:127.0.0.1'));
  await pair.converged('after the source certificate names it again');
});

test('A replica whose certificate names another host is refused by the source; tls.peerNames accepts a DNS name instead of the address', { skip }, async (t) => {
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const misnamed = await certPair(t, ca.issue('replica', 'DNS:replica.example'), ca.issue('source', 'IP:127.0.0.1'));
  await waitFor(() => misnamed.sourceEvents.some((e) => e.kind === 'connect-failed' && /the replica's certificate names DNS:replica\.example, not 127\.0\.0\.1/.test(e.reason)), {
    description: 'the misnamed replica refused',
    timeoutMs: 20_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(misnamed.sourceEvents)}`);
  });
  assert.equal(readdirSync(misnamed.replica).length, 0);
  const named = await certPair(t, ca.issue('replica2', 'DNS:replica.example'), ca.issue('source2', 'DNS:source.example'), {
    sourceAllows: ['replica.example'],
    replicaAllows: ['source.example'],
  });
  await named.converged('accepted by the names in tls.peerNames');
});

test('check-config: a bad certificate file is an error naming the resource key and the file', { skip }, async (t) => {
  const { directoryKind } = await import('../../src/replicate/directory-kind.js');
  const dir = certDir(t);
  const ca = TestCa.create(dir, 'ca');
  const good = ca.issue('node', 'IP:192.0.2.1');
  const other = ca.issue('other', 'IP:192.0.2.2');
  const data = mkdtempSync(join(tmpdir(), 'hs-tls-data-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const host = { name: 'files', peers: () => ['192.0.2.2'] } as unknown as Parameters<typeof directoryKind.check & {}>[1];
  const settings = (files: CertFiles) => ({
    path: data,
    exclude: [],
    listen: '0.0.0.0',
    port: 7411,
    peers: [],
    auth: { kind: 'certificates' as const, files, peerNames: [] },
    bandwidthLimit: undefined,
    bulkPorts: 'ephemeral' as const,
    conflictDir: `${data}.conflicts`,
    fullCheckEveryMs: 600_000,
    xattrs: false,
    acls: false,
  });
  await directoryKind.check!(settings(good), host);
  await assert.rejects(directoryKind.check!(settings({ ...good, key: other.key }), host), /^Error: resources\.files\.tls\.key: '.*other\.key' does not match the certificate/);
  await assert.rejects(directoryKind.check!(settings({ ...good, ca: join(dir, 'nope.crt') }), host), /resources\.files\.tls\.ca: '.*nope\.crt' cannot be read: does not exist/);
});
