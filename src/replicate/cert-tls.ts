/**
 * Mutual TLS 1.3 with certificates (RFC 8446 §4.4.2: both sides send a certificate). Each side
 * accepts the other only if its certificate chains to the configured CA, is valid now, and names
 * the peer: a subjectAltName (RFC 5280 §4.2.1.6, matched as RFC 6125 says: IP entries against an
 * address, DNS entries with wildcards against a name) equal to the peer's configured address, or
 * to one of `tls.peerNames`. The source checks the replica it dialled against that peer's address;
 * the replica checks a source against every configured peer address (a source may connect from
 * any of its addresses, and SAN-less checks by source address would break behind NAT).
 *
 * In TLS 1.3 the client finishes its handshake before the server has judged the client's
 * certificate, so a refused source would only see the connection drop. The replica therefore
 * completes the handshake with `rejectUnauthorized: false`, judges the source itself, and
 * answers its first request with an error that says why, then closes; no frame of a refused
 * source is ever applied.
 */
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import { CertificateFiles, type CertificatePaths } from './cert-files.js';
import type { ReplicationTransport } from './transport.js';

const TLS13 = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;

/** OpenSSL verification codes (X509_V_ERR_*, as Node names them) in words. */
const VERIFY_ERRORS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: 'is not valid yet',
  CERT_REVOKED: 'is revoked',
  CERT_SIGNATURE_FAILURE: 'has a signature that does not verify',
  UNABLE_TO_GET_ISSUER_CERT: 'is not signed by the configured CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'is not signed by the configured CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'is not signed by the configured CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'is not signed by the configured CA (its chain ends in another self-signed CA)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'is self-signed, not signed by the configured CA',
  INVALID_CA: 'is signed by a certificate that is not a CA',
  INVALID_PURPOSE: 'is not valid for TLS (keyUsage / extendedKeyUsage)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'does not name the peer',
};

/**
 * A connection error in words: a verification failure of `whose` certificate ("the replica's
 * certificate has expired (CERT_HAS_EXPIRED)"), else the error's own message.
 */
export function describeTlsError(err: Error & { code?: string }, whose: string): string {
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return err.message;
  const words = err.code === undefined ? undefined : VERIFY_ERRORS[err.code];
  return words === undefined ? err.message : `${whose} certificate ${words} (${err.code})`;
}

function namesOf(cert: PeerCertificate): string {
  return cert.subjectaltname ? cert.subjectaltname : 'no subjectAltName';
}

/** Undefined when `cert` names one of `names` (an address or a DNS name). */
export function namesPeer(cert: PeerCertificate, names: readonly string[]): boolean {
  return names.some((name) => checkServerIdentity(name, cert) === undefined);
}

export interface CertTransportOptions {
  readonly files: CertificatePaths;
  /** Names besides the peer's address that a peer's certificate may carry (`tls.peerNames`). */
  readonly peerNames: readonly string[];
  /** Every configured peer address (what a source's certificate may name, besides peerNames). */
  readonly peerAddresses: readonly string[];
  /** A renewed file that cannot be used (the previous set stays in use). */
  readonly onReloadProblem?: (err: Error) => void;
}

export function certTransport(options: CertTransportOptions): ReplicationTransport {
  const files = new CertificateFiles(options.files, options.onReloadProblem);
  let serverGeneration = 0;
  const context = (): SecureContextOptions & { generation: number } => {
    const { certificates, generation } = files.current();
    return { cert: certificates.cert, key: certificates.key, ca: certificates.ca, ...TLS13, generation };
  };
  return {
    name: 'certificates',
    clientOptions(peer): ConnectionOptions {
      const { generation: _g, ...ctx } = context();
      const allowed = [peer.host, ...options.peerNames];
      return {
        ...ctx,
        checkServerIdentity: (_host, cert) =>
          namesPeer(cert, allowed) ? undefined : Object.assign(new Error(`the replica's certificate names ${namesOf(cert)}, not ${allowed.join(' or ')}`), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      };
    },
    serverOptions(): TlsOptions {
      const { generation, ...ctx } = context();
      serverGeneration = generation;
      return { ...ctx, requestCert: true, rejectUnauthorized: false };
    },
    renewedServerContext() {
      const { generation, ...ctx } = context();
      if (generation === serverGeneration) return undefined;
      serverGeneration = generation;
      return ctx;
    },
    refusal(socket: TLSSocket): string | undefined {
      const cert = socket.getPeerCertificate();
      if (cert === null || Object.keys(cert).length === 0) return 'it presented no certificate';
      if (!socket.authorized) {
        const error = socket.authorizationError as unknown as string | Error;
        const code = typeof error === 'string' ? error : ((error as Error & { code?: string }).code ?? (error as Error).message);
        return `${describeTlsError(Object.assign(new Error(code), { code }), 'its')} [${namesOf(cert)}]`;
      }
      const allowed = [...options.peerAddresses, ...options.peerNames];
      if (!namesPeer(cert, allowed)) return `its certificate names ${namesOf(cert)}, not a configured peer (${allowed.join(', ') || 'none configured'})`;
      return undefined;
    },
  };
}
