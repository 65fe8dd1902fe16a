/**
 * What happens to a stored blob on its way out of a pack (design.rst, "Pack Format", the reverse
 * of seal-job.ts): the MAC is checked and the blob decrypted (crypto.ts), decompressed when the
 * index gives it an uncompressed length (format version 2), and its plaintext hashed against its
 * id. The same function runs on the main thread (Repository.loadBlob) and in the restore workers
 * (restore-worker.ts).
 */
import { AuthenticationError, open, type MasterKey } from './crypto.js';
import type { Compression } from './compression.js';
import { hashId, type Id } from './id.js';
import type { BlobLocation } from './blob-index.js';

/** The blob's plaintext from its stored bytes `sealed`; a damaged blob is an Error naming it and its pack. */
export function openBlob(key: MasterKey, compression: Compression, id: Id, loc: BlobLocation, sealed: Uint8Array): Uint8Array {
  const where = `${loc.type} blob ${id} in pack ${loc.pack}`;
  let plain: Uint8Array;
  try {
    plain = open(key, sealed);
  } catch (err) {
    if (err instanceof AuthenticationError) throw new Error(`${where} is damaged (${err.message})`);
    throw err;
  }
  if (loc.uncompressedLength !== undefined) {
    try {
      plain = compression.decompress(plain);
    } catch (err) {
      throw new Error(`${where} is damaged (it does not decompress: ${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const got = hashId(plain);
  if (got !== id) throw new Error(`${where} is damaged (content hashes to ${got})`);
  return plain;
}
