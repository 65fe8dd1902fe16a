/**
 * What happens to a new blob before it joins a pack (design.rst, "Pack Format"): in format
 * version 2 it is compressed when that makes it smaller, then encrypted and authenticated
 * (crypto.ts). The same function runs inline and in the worker threads of seal-pool.ts.
 */
import type { Compression } from './compression.js';
import type { Sealer } from './crypto.js';

export interface SealedBlob {
  sealed: Buffer;
  /** The plaintext length when the blob was compressed. */
  uncompressedLength?: number;
}

export function sealBlob(sealer: Sealer, plaintext: Uint8Array, compression: Compression | undefined): SealedBlob {
  if (compression && plaintext.length > 0) {
    const z = compression.compress(plaintext);
    if (z.length < plaintext.length) return { sealed: sealer.seal(z), uncompressedLength: plaintext.length };
  }
  return { sealed: sealer.seal(plaintext) };
}
