/**
 * Index, snapshot and lock files (design.rst, "Unpacked Data Format"): `IV || Ciphertext || MAC`
 * around either a plain JSON document (its first byte '{' or '[' doubles as the encoding version,
 * as in format version 1) or, in version 2, the byte 2 followed by a zstd-compressed JSON document.
 */
import type { Compression } from './compression.js';
import { open, seal, type MasterKey } from './crypto.js';

const ENCODING_ZSTD = 2;

/** The stored bytes of an unpacked file; compressed when `compression` is given (version 2). */
export function encodeUnpacked(key: MasterKey, json: Uint8Array, compression: Compression | undefined): Buffer {
  if (!compression) return seal(key, json);
  const z = compression.compress(json);
  const plain = Buffer.allocUnsafe(1 + z.length);
  plain[0] = ENCODING_ZSTD;
  plain.set(z, 1);
  return seal(key, plain);
}

/** The JSON document inside a stored unpacked file. */
export function decodeUnpacked(key: MasterKey, stored: Uint8Array, compression: Compression): Uint8Array {
  const plain = open(key, stored);
  if (plain.length === 0) throw new SyntaxError('Unpacked file is empty');
  const version = plain[0]!;
  if (version === 0x7b || version === 0x5b) return plain;
  if (version === ENCODING_ZSTD) return compression.decompress(plain.subarray(1));
  throw new RangeError(`Unknown unpacked encoding version ${version}`);
}
