/**
 * How the two sides authenticate each other (psk-tls.ts or cert-tls.ts). The source asks for
 * its connection options at every connect and the replica may swap its context before every
 * handshake, so renewed files take effect on the next connection without a restart.
 */
import type { ConnectionOptions, SecureContextOptions, TLSSocket, TlsOptions } from 'node:tls';

export interface ReplicationTransport {
  /** What the transport is, for logs ("pre-shared key", "certificates"). */
  readonly name: string;
  /** The source's options to reach `peer`; read afresh for every connection. Throws when the files are unusable. */
  clientOptions(peer: { host: string; port: number }): ConnectionOptions;
  /** The replica's server options, at listen. */
  serverOptions(): TlsOptions;
  /** Before a handshake: a new context when the files changed since the last one, else undefined. Throws when they are unusable. */
  renewedServerContext?(): SecureContextOptions | undefined;
  /** After the handshake: why this source is refused, or undefined when it is accepted. */
  refusal?(socket: TLSSocket): string | undefined;
}
