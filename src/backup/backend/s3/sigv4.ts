/**
 * AWS Signature Version 4 for S3 requests, in the Authorization header (AWS documentation,
 * "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk
 * (AWS Signature Version 4)", Amazon S3 API Reference, sigv4-header-based-auth):
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *                      SignedHeaders \n HashedPayload
 *   StringToSign     = "AWS4-HMAC-SHA256" \n timeStamp \n scope \n Hex(SHA256(CanonicalRequest))
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "s3"), "aws4_request")
 *   Signature        = Hex(HMAC(SigningKey, StringToSign))
 *
 * Pure: the time is an argument.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** A temporary credential's session token (x-amz-security-token). */
  sessionToken?: string;
}

export interface SignInput {
  method: string;
  /** The path as sent, already URI-encoded ("/bucket/key"). */
  path: string;
  /** Query parameters (decoded); encoded and sorted here. */
  query: Record<string, string>;
  /** Headers to sign (host among them); names in any case. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD". */
  payloadHash: string;
  region: string;
  time: Date;
  credentials: Credentials;
}

export const EMPTY_SHA256 = createHash('sha256').digest('hex');
export const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Uint8Array | string, data: string) => createHmac('sha256', key).update(data).digest();

/** URI-encodes as SigV4 wants: every byte but A-Z a-z 0-9 - . _ ~ as %XX (uppercase); '/' kept when `keepSlash`. */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The query string, encoded and sorted by name (the canonical form, also fine to send). */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .map((k) => [uriEncode(k), uriEncode(query[k]!)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** "20130524T000000Z" */
export const amzDate = (t: Date) => t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** The headers to add to the request: x-amz-date, x-amz-content-sha256, (token) and Authorization. */
export function signRequest(input: SignInput): Record<string, string> {
  const stamp = amzDate(input.time);
  const date = stamp.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers['x-amz-date'] = stamp;
  headers['x-amz-content-sha256'] = input.payloadHash;
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [input.method, input.path, canonicalQuery(input.query), canonicalHeaders, signedHeaders, input.payloadHash].join('\n');
  const scope = `${date}/${input.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, date), input.region), 's3'), 'aws4_request');
  const signature = hmac(key, stringToSign).toString('hex');
  const out: Record<string, string> = { 'x-amz-date': stamp, 'x-amz-content-sha256': input.payloadHash };
  if (input.credentials.sessionToken) out['x-amz-security-token'] = input.credentials.sessionToken;
  out.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return out;
}
