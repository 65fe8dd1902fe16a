/**
 * Test certificates made with the openssl command line (as docs/replication.md tells users to):
 * a CA, node certificates signed by it with the given subjectAltName, and variants a peer must
 * refuse (expired, from another CA). EC P-256 keys: quick to make.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { opensslUnavailableReason } from '../../support/tls-cert.js';

export interface CertFiles {
  cert: string;
  key: string;
  ca: string;
}

export class TestCa {
  readonly cert: string;
  private readonly key: string;
  private serial = 1;

  private constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    this.cert = join(dir, `${name}.crt`);
    this.key = join(dir, `${name}.key`);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', this.key, '-out', this.cert, '-days', '30', '-subj', `/CN=${name}`]);
  }

  static create(dir: string, name: string): TestCa {
    return new TestCa(dir, name);
  }

  /** A key and a certificate signed by this CA; `days` < 0 makes one that has already expired. */
  issue(name: string, san: string, options: { days?: number } = {}): CertFiles {
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const cert = join(this.dir, `${name}.crt`);
    const ext = join(this.dir, `${name}.ext`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
    writeFileSync(ext, san === '' ? '' : `subjectAltName=${san}\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', this.cert, '-CAkey', this.key, '-set_serial', String(this.serial++), '-days', String(options.days ?? 30), '-extfile', ext, '-out', cert]);
    return { cert, key, ca: this.cert };
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function certDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-tls-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
