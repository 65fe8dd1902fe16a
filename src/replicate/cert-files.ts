/**
 * The certificate files of `tls: { cert, key, ca }`, read and checked the way the peer will
 * check them, so a bad file is named at check-config and start instead of surfacing as a
 * handshake failure on the other node: readable, PEM (RFC 7468), the key matching the
 * certificate, the certificate valid now, signed by the CA (directly or through intermediates in
 * the cert file) and carrying a subjectAltName (RFC 5280 §4.2.1.6) for the peer to verify.
 * `CertificateFiles.current()` reloads when a file changed (renewal needs no restart).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export interface CertificatePaths {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface LoadedCertificates {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  /** The leaf's subjectAltName entries as OpenSSL prints them ("DNS:a", "IP Address:10.0.0.1"). */
  readonly names: readonly string[];
  readonly validTo: Date;
}

/** A problem with one of the files; `setting` is the key naming it (cert, key or ca). */
export class CertificateFileError extends Error {
  constructor(
    readonly setting: keyof CertificatePaths,
    readonly file: string,
    problem: string,
  ) {
    super(`'${file}' ${problem}`);
    this.name = 'CertificateFileError';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function read(setting: keyof CertificatePaths, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new CertificateFileError(setting, file, `cannot be read: ${why}`);
  }
}

function certificates(setting: keyof CertificatePaths, file: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new CertificateFileError(setting, file, 'is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new CertificateFileError(setting, file, `holds a certificate (block ${i + 1}) that cannot be parsed: ${(err as Error).message}`);
    }
  });
}

function privateKey(file: string, pem: Buffer): KeyObject {
  const text = pem.toString('latin1');
  if (!text.includes('-----BEGIN') || !text.includes('PRIVATE KEY-----')) throw new CertificateFileError('key', file, 'is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" block)');
  if (text.includes('ENCRYPTED')) throw new CertificateFileError('key', file, 'is encrypted; the daemon needs the key without a passphrase (mode 0600)');
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new CertificateFileError('key', file, `cannot be parsed as a private key: ${(err as Error).message}`);
  }
}

/** True when `issuer` issued `cert` and its key verifies the signature. */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** Reads and checks the three files; throws CertificateFileError naming the file at fault. */
export function loadCertificates(paths: CertificatePaths, now: Date = new Date()): LoadedCertificates {
  const certPem = read('cert', paths.cert);
  const keyPem = read('key', paths.key);
  const caPem = read('ca', paths.ca);
  const [leaf, ...intermediates] = certificates('cert', paths.cert, certPem);
  const key = privateKey(paths.key, keyPem);
  const authorities = certificates('ca', paths.ca, caPem);
  if (!leaf!.checkPrivateKey(key)) throw new CertificateFileError('key', paths.key, `does not match the certificate in '${paths.cert}'`);
  const validFrom = new Date(leaf!.validFrom);
  const validTo = new Date(leaf!.validTo);
  if (validTo < now) throw new CertificateFileError('cert', paths.cert, `expired on ${validTo.toISOString()}`);
  if (validFrom > now) throw new CertificateFileError('cert', paths.cert, `is not valid before ${validFrom.toISOString()}`);
  let current = leaf!;
  for (let depth = 0; ; depth++) {
    if (authorities.some((ca) => issued(ca, current))) break;
    const next = intermediates.find((i) => issued(i, current));
    if (next === undefined || depth > 8) throw new CertificateFileError('cert', paths.cert, `is not signed by the CA in '${paths.ca}' (issuer: ${current.issuer.replace(/\n/g, ', ')})`);
    current = next;
  }
  const names = (leaf!.subjectAltName ?? '').split(/,\s*/).filter((n) => n !== '');
  if (names.length === 0) {
    throw new CertificateFileError('cert', paths.cert, 'has no subjectAltName: the peer checks this node by it (e.g. `-addext subjectAltName=IP:192.0.2.1`, docs/replication.md)');
  }
  return { cert: certPem, key: keyPem, ca: caPem, names, validTo };
}

/** What identifies a file's version: a renewal (rewrite or rename over it) changes it. */
function stamp(file: string): string {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return 'missing';
  }
}

/**
 * The files as they are now: reloaded when one of them changed. A renewal caught half-way
 * (new cert, old key) fails its check; the last good set stays in use until the files are
 * whole again, and `onProblem` hears about it once per version of the files.
 */
export class CertificateFiles {
  private loaded: LoadedCertificates | undefined;
  private loadedStamp = '';
  private failedStamp = '';
  private failure: Error | undefined;
  private generation = 0;

  constructor(
    readonly paths: CertificatePaths,
    private readonly onProblem: (err: Error) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The current set and a number that changes with every reload. Throws when no good set was ever read. */
  current(): { certificates: LoadedCertificates; generation: number } {
    const stamps = [this.paths.cert, this.paths.key, this.paths.ca].map(stamp).join('|');
    if (stamps !== this.loadedStamp && stamps !== this.failedStamp) {
      try {
        this.loaded = loadCertificates(this.paths, this.now());
        this.loadedStamp = stamps;
        this.failedStamp = '';
        this.failure = undefined;
        this.generation++;
      } catch (err) {
        this.failedStamp = stamps;
        this.failure = err as Error;
        if (this.loaded !== undefined) this.onProblem(err as Error);
      }
    }
    if (this.loaded === undefined) throw this.failure ?? new Error('The certificate files were never read');
    return { certificates: this.loaded, generation: this.generation };
  }
}
