/** Throwaway self-signed certificates made by openssl, for tests of TLS clients and servers. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Why the certificate tests skip, or undefined when openssl is there. */
export function opensslUnavailableReason(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs openssl to make a throwaway certificate';
  }
}

/** A P-256 key and a one-day certificate for `cn` with the subjectAltName `san` ("DNS:localhost", "IP:127.0.0.1"), in `dir`. */
export function selfSignedCert(dir: string, cn: string, san: string): { keyFile: string; certFile: string } {
  const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`, '-days', '1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { keyFile, certFile };
}
