/**
 * openBlob() (open-blob.ts) for a thread that opens many blobs one after the other (a restore
 * worker): the same checks in the same order (MAC, decryption, decompression, hash; design.rst,
 * "Keys, Encryption and MAC" and "Pack Format"), but into buffers it keeps and reuses, so that a
 * blob of up to 8 MiB costs no fresh memory. Fresh memory is page faults, and on a virtual
 * machine that hands freed pages back to its host they cost as much as the writes themselves
 * (measured: 113,000 minor faults in a restore of 1.1 GiB that allocated per blob).
 */
import { createCipheriv, createDecipheriv, timingSafeEqual, type Cipher } from 'node:crypto';
import { createRequire } from 'node:module';
import type { BlobLocation } from './blob-index.js';
import { CRYPTO_OVERHEAD, IV_SIZE, MAC_SIZE, poly1305Aes, type MasterKey } from './crypto.js';
import { hashId, type Id } from './id.js';

type ZstdBinding = typeof import('zstd-napi/binding.js');
const { DCtx } = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding;

/** Decryption goes in slices of this size (each slice's output is small and short-lived). */
const SLICE = 64 * 1024;

function grown(buf: Buffer, n: number): Buffer {
  return buf.length >= n ? buf : Buffer.allocUnsafe(Math.max(n, buf.length * 2));
}

export class BlobOpener {
  private readonly nonceAes: Cipher;
  private readonly dctx = new DCtx();
  private plain: Buffer = Buffer.allocUnsafe(SLICE);
  private inflated: Buffer = Buffer.allocUnsafe(SLICE);

  constructor(private readonly key: MasterKey) {
    this.nonceAes = createCipheriv('aes-128-ecb', key.mac.k, null);
    this.nonceAes.setAutoPadding(false);
  }

  /**
   * The plaintext of the blob stored as `sealed` (zstd-compressed when the index gives an
   * uncompressed length), valid until the next call; a damaged blob is an Error naming it and
   * its pack, as openBlob's.
   */
  open(id: Id, loc: BlobLocation, sealed: Uint8Array): Buffer {
    const damaged = (why: string) => new Error(`${loc.type} blob ${id} in pack ${loc.pack} is damaged (${why})`);
    if (sealed.length < CRYPTO_OVERHEAD) throw damaged(`${sealed.length} bytes is shorter than IV and MAC`);
    const iv = sealed.subarray(0, IV_SIZE);
    const ciphertext = sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE);
    const tag = sealed.subarray(sealed.length - MAC_SIZE);
    if (!timingSafeEqual(poly1305Aes(this.key.mac, iv, ciphertext, this.nonceAes), tag)) throw damaged('Ciphertext verification failed (wrong key or damaged data)');
    const n = ciphertext.length;
    this.plain = grown(this.plain, n);
    const aes = createDecipheriv('aes-256-ctr', this.key.encrypt, iv);
    for (let o = 0; o < n; o += SLICE) this.plain.set(aes.update(ciphertext.subarray(o, Math.min(o + SLICE, n))), o);
    let out: Buffer = this.plain.subarray(0, n);
    if (loc.uncompressedLength !== undefined) {
      const size = loc.uncompressedLength;
      this.inflated = grown(this.inflated, size);
      let got: number;
      try {
        // Into a buffer of exactly the size the index gives: a frame that is larger fails here.
        got = this.dctx.decompress(this.inflated.subarray(0, size), out);
      } catch (err) {
        throw damaged(`it does not decompress: ${err instanceof Error ? err.message : String(err)}`);
      }
      out = this.inflated.subarray(0, got);
    }
    const got = hashId(out);
    if (got !== id) throw damaged(`content hashes to ${got}`);
    return out;
  }
}
