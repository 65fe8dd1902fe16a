/**
 * Storage and blob ids: the SHA-256 of a file's or a blob's content, written as 64 lower-case hex
 * digits (design.rst, "Repository Format" and "Terminology").
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';

export type Id = string;

export const ID_SIZE = 32;

/** Node's one-shot hash (20.12 and later): no Hash object per blob. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;

export function hashId(...parts: Uint8Array[]): Id {
  if (parts.length === 1 && oneShot) return oneShot('sha256', parts[0]!, 'hex');
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

const ID_RE = /^[0-9a-f]{64}$/;

export function isId(s: unknown): s is Id {
  return typeof s === 'string' && ID_RE.test(s);
}

export function parseId(s: unknown, what = 'id'): Id {
  if (!isId(s)) throw new SyntaxError(`Invalid ${what} '${String(s)}'`);
  return s;
}

export function idToBytes(id: Id): Buffer {
  return Buffer.from(parseId(id), 'hex');
}

export function idFromBytes(b: Uint8Array): Id {
  if (b.length !== ID_SIZE) throw new RangeError(`An id is ${ID_SIZE} bytes, got ${b.length}`);
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
