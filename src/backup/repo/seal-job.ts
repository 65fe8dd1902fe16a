/**
 * What happens to a new blob before it joins a pack (design.rst, "Pack Format"): in format
 * version 2 a data blob is compressed when that makes it smaller and a tree always, then encrypted and authenticated
 * (crypto.ts). The same function runs inline and in the worker threads of seal-pool.ts.
 */
import type { Compression } from './compression.js';
import type { Sealer } from './crypto.js';

export interface SealedBlob {
  sealed: Buffer;
  /** The plaintext length when the blob was compressed. */
  uncompressedLength?: number;
}

/**
 * `always`: compressed even when that does not make it smaller. restic 0.14 compresses every tree
 * blob of a version 2 repository, and its prune repacks a tree pack holding an uncompressed blob
 * (cmd_prune.go, mustCompress): our trees must be compressed too, or the first restic prune
 * rewrites every tree pack we wrote.
 */
export function sealBlob(sealer: Sealer, plaintext: Uint8Array, compression: Compression | undefined, always = false): SealedBlob {
  if (compression && plaintext.length > 0) {
    const z = compression.compress(plaintext);
    if (always || z.length < plaintext.length) return { sealed: sealer.seal(z), uncompressedLength: plaintext.length };
  }
  return { sealed: sealer.seal(plaintext) };
}
