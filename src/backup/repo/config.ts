/**
 * The repository's `config` file (design.rst, "Repository Format"): an encrypted JSON document
 * `{"version":2,"id":"<64 hex>","chunker_polynomial":"<hex>"}`. It is never compressed (its
 * reader does not yet know the version) and it is the one file not named by its hash.
 */
import { randomBytes } from 'node:crypto';
import { goJsonEncode } from './go-json.js';
import { parseId, type Id } from './id.js';

export interface RepoConfig {
  version: 1 | 2;
  id: Id;
  /** The chunker's irreducible polynomial of degree 53. */
  chunkerPolynomial: bigint;
}

export function newRepoConfig(chunkerPolynomial: bigint): RepoConfig {
  return { version: 2, id: randomBytes(32).toString('hex'), chunkerPolynomial };
}

export function encodeRepoConfig(c: RepoConfig): Buffer {
  return Buffer.from(goJsonEncode({ version: c.version, id: c.id, chunker_polynomial: c.chunkerPolynomial.toString(16) }));
}

export function decodeRepoConfig(json: Uint8Array): RepoConfig {
  const v = JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown>;
  if (v === null || typeof v !== 'object') throw new TypeError('Config is not a JSON object');
  if (v.version !== 1 && v.version !== 2) throw new RangeError(`Unsupported repository version ${JSON.stringify(v.version)}`);
  const poly = v.chunker_polynomial;
  if (typeof poly !== 'string' || !/^[0-9a-f]{1,16}$/i.test(poly)) throw new SyntaxError(`Invalid chunker_polynomial ${JSON.stringify(poly)}`);
  return { version: v.version, id: parseId(v.id, 'repository id'), chunkerPolynomial: BigInt('0x' + poly) };
}
