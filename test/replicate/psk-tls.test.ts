/** The pre-shared-key transport's cipher suites: the faster one between new nodes, the old one still spoken. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { connect, createServer, type ConnectionOptions, type TlsOptions } from 'node:tls';
import { pskClientOptions, pskServerOptions } from '../../src/replicate/psk-tls.js';

const psk = { identity: 'test', key: Buffer.alloc(32, 9) };
/** What a node of the previous version offered and accepted (its only suite). */
const OLD_SUITE = { ciphers: 'ECDHE-PSK-CHACHA20-POLY1305', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

/** Connects a client to a server with the given options; resolves the suite they agreed on. */
async function agreedCipher(serverOptions: TlsOptions, clientOptions: ConnectionOptions): Promise<string> {
  const server = createServer(serverOptions, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = connect({ ...clientOptions, host: '127.0.0.1', port: (server.address() as AddressInfo).port }, () => {
        resolve(socket.getCipher().name);
        socket.destroy();
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('two nodes of this version agree on DHE-PSK with AES-128-GCM (forward secret, AES-NI)', async () => {
  assert.equal(await agreedCipher(pskServerOptions(psk), pskClientOptions(psk)), 'DHE-PSK-AES128-GCM-SHA256');
});

test('a node of this version still connects to one of the previous version, either way round', async () => {
  const oldServer: TlsOptions = { ...OLD_SUITE, pskCallback: () => psk.key };
  const oldClient: ConnectionOptions = { ...OLD_SUITE, pskCallback: () => ({ psk: psk.key, identity: psk.identity }), checkServerIdentity: () => undefined };
  assert.equal(await agreedCipher(oldServer, pskClientOptions(psk)), 'ECDHE-PSK-CHACHA20-POLY1305');
  assert.equal(await agreedCipher(pskServerOptions(psk), oldClient), 'ECDHE-PSK-CHACHA20-POLY1305');
});

test('a client offering only a suite without an ephemeral key exchange (plain PSK) is refused', async () => {
  const plain: ConnectionOptions = { ciphers: 'PSK-AES128-GCM-SHA256', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', pskCallback: () => ({ psk: psk.key, identity: psk.identity }), checkServerIdentity: () => undefined };
  await assert.rejects(agreedCipher(pskServerOptions(psk), plain), /handshake failure|no shared cipher/i);
});
