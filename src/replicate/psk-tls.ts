/**
 * TLS with mutual authentication by a pre-shared key. Each side proves it holds the key; no
 * certificates. Node 20 implements TLS-PSK for TLS 1.2 only (a 1.3 PSK handshake fails with
 * "handshake failure"), so the suites are PSK authentication with an ephemeral key exchange, so a
 * key leaked later does not decrypt recorded traffic. Preferred: DHE-PSK with AES-128-GCM (RFC
 * 5487; OpenSSL has no ECDHE-PSK with GCM), which AES-NI runs at about twice ChaCha20-Poly1305's
 * speed: about 0.1 s less CPU on the replica per 256 MiB, and a large file 6-17 % faster in the
 * lab (docs/replication.md, 2026-12-05). Then ECDHE-PSK with ChaCha20-Poly1305 (RFC 7905), the only suite of the versions
 * before: a node of either version offers and accepts it, so old and new still connect.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { ReplicationTransport } from './transport.js';

export interface PreSharedKey {
  /** Names the key (sent in clear during the handshake). */
  identity: string;
  /** At least 16 bytes (32 recommended). */
  key: Buffer;
}

const PSK_TLS = { ciphers: 'DHE-PSK-AES128-GCM-SHA256:ECDHE-PSK-CHACHA20-POLY1305', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

export function checkKey(psk: PreSharedKey): void {
  if (psk.key.length < 16) throw new RangeError(`The replication key '${psk.identity}' is ${psk.key.length} bytes; at least 16 are needed`);
}

export function pskServerOptions(psk: PreSharedKey): TlsOptions {
  checkKey(psk);
  const identity = Buffer.from(psk.identity);
  return {
    ...PSK_TLS,
    // The server's order decides; 'auto': OpenSSL's 2048-bit (or larger) well-known group for DHE (RFC 7919).
    honorCipherOrder: true,
    dhparam: 'auto',
    pskCallback: (_socket, offered) => {
      const bytes = Buffer.from(offered);
      return bytes.length === identity.length && timingSafeEqual(bytes, identity) ? psk.key : null;
    },
  };
}

export function pskClientOptions(psk: PreSharedKey): ConnectionOptions {
  checkKey(psk);
  return {
    ...PSK_TLS,
    pskCallback: () => ({ psk: psk.key, identity: psk.identity }),
    // No certificate to check: the PSK authenticates the server.
    checkServerIdentity: () => undefined,
  };
}

/** Both sides hold the same key (the `keyFile` setting). */
export function pskTransport(psk: PreSharedKey): ReplicationTransport {
  checkKey(psk);
  return { name: 'pre-shared key', clientOptions: () => pskClientOptions(psk), serverOptions: () => pskServerOptions(psk) };
}
