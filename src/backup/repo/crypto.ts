/**
 * Encryption and authentication of everything in a repository except key files.
 * design.rst, "Keys, Encryption and MAC": AES-256 in counter mode, then Poly1305-AES over the
 * ciphertext, stored as `IV || CIPHERTEXT || MAC`; the 16-byte random IV is also the Poly1305
 * nonce. The MAC key is `k || r`: the Poly1305 one-time key is `r` (clamped) followed by
 * AES-128_k(nonce) (Bernstein's Poly1305-AES).
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual, type Cipher } from 'node:crypto';
import { backupNative } from '../native.js';
import { Poly1305, clampR } from './poly1305.js';

export const IV_SIZE = 16;
export const MAC_SIZE = 16;
/** The bytes encryption adds: IV and MAC (design.rst: "The complete encryption overhead is 32 bytes"). */
export const CRYPTO_OVERHEAD = IV_SIZE + MAC_SIZE;

export interface MacKey {
  /** The AES-128 key that encrypts the nonce. */
  k: Uint8Array;
  /** The Poly1305 key; clamped before use. */
  r: Uint8Array;
}

export interface MasterKey {
  /** The AES-256 key. */
  encrypt: Uint8Array;
  mac: MacKey;
}

/** The wrong password or damaged data: the MAC did not match. Callers are expected to catch it. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** A fresh random master key (r stored clamped, as restic stores it). */
export function randomMasterKey(): MasterKey {
  const r = randomBytes(16);
  clampR(r);
  return { encrypt: randomBytes(32), mac: { k: randomBytes(16), r } };
}

/** The master key from 64 bytes of key material: encryption key, then k, then r (design.rst). */
export function masterKeyFromBytes(material: Uint8Array): MasterKey {
  if (material.length !== 64) throw new RangeError(`Key material must be 64 bytes, got ${material.length}`);
  return {
    encrypt: material.slice(0, 32),
    mac: { k: material.slice(32, 48), r: material.slice(48, 64) },
  };
}

export function checkMasterKey(key: MasterKey): void {
  if (key.encrypt.length !== 32) throw new RangeError(`Encryption key must be 32 bytes, got ${key.encrypt.length}`);
  if (key.mac.k.length !== 16) throw new RangeError(`MAC key k must be 16 bytes, got ${key.mac.k.length}`);
  if (key.mac.r.length !== 16) throw new RangeError(`MAC key r must be 16 bytes, got ${key.mac.r.length}`);
}

/** Poly1305 of `message` under the one-time key `r || s`: OpenSSL through the addon, else TypeScript. */
export function poly1305(oneTimeKey: Buffer, message: Buffer): Uint8Array {
  const native = backupNative()?.poly1305;
  if (native) return native(oneTimeKey, message);
  return new Poly1305(oneTimeKey).update(message).digest();
}

/** AES-128 in ECB mode under the MAC key's k, without padding: AES_k of each 16-byte block. */
function nonceCipher(mac: MacKey): Cipher {
  const aes = createCipheriv('aes-128-ecb', mac.k, null);
  aes.setAutoPadding(false);
  return aes;
}

/** Poly1305-AES_{k,r}(nonce, message); `aes` may be a kept nonceCipher(mac) (ECB keeps no state between blocks). */
export function poly1305Aes(mac: MacKey, nonce: Uint8Array, message: Uint8Array, aes: Cipher = nonceCipher(mac)): Uint8Array {
  const oneTime = Buffer.alloc(32);
  oneTime.set(mac.r, 0);
  clampR(oneTime); // Poly1305 clamps r itself; clamping here keeps both paths on the same key
  oneTime.set(aes.update(nonce), 16);
  const m = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.length);
  return poly1305(oneTime, m);
}

const SEAL_SLICE = 256 * 1024;

/** Encrypts `plaintext` under a fresh random IV: `IV || CIPHERTEXT || MAC`. */
export function seal(key: MasterKey, plaintext: Uint8Array, iv: Uint8Array = randomBytes(IV_SIZE), aes?: Cipher): Buffer {
  const out = Buffer.allocUnsafe(plaintext.length + CRYPTO_OVERHEAD);
  iv = Uint8Array.from(iv);
  out.set(iv, 0);
  const cipher = createCipheriv('aes-256-ctr', key.encrypt, iv);
  // CTR keeps its counter between updates: a large blob is encrypted in slices, so that no
  // second copy of its size is made (cipher.update cannot write into `out`).
  for (let o = 0; o < plaintext.length; o += SEAL_SLICE) {
    out.set(cipher.update(plaintext.subarray(o, Math.min(o + SEAL_SLICE, plaintext.length))), IV_SIZE + o);
  }
  out.set(cipher.final(), IV_SIZE + plaintext.length);
  const ciphertext = out.subarray(IV_SIZE, IV_SIZE + plaintext.length);
  out.set(poly1305Aes(key.mac, iv, ciphertext, aes), IV_SIZE + plaintext.length);
  return out;
}

/** IVs drawn from the random generator at once (one call per IV cost 7 µs, a quarter of sealing a small blob). */
const IVS_PER_DRAW = 256;

/**
 * seal() for many blobs under one key: the nonce's AES-128 cipher is kept, and random IVs are
 * drawn IVS_PER_DRAW at a time (each used once). One per repository or worker thread.
 */
export class Sealer {
  private readonly aes: Cipher;
  private ivs = Buffer.alloc(0);
  private next = 0;

  constructor(readonly key: MasterKey) {
    this.aes = nonceCipher(key.mac);
  }

  seal(plaintext: Uint8Array): Buffer {
    if (this.next >= this.ivs.length) {
      this.ivs = randomBytes(IV_SIZE * IVS_PER_DRAW);
      this.next = 0;
    }
    const iv = this.ivs.subarray(this.next, this.next + IV_SIZE);
    this.next += IV_SIZE;
    return seal(this.key, plaintext, iv, this.aes);
  }
}

/** Checks the MAC of `IV || CIPHERTEXT || MAC` and returns the plaintext. */
export function open(key: MasterKey, sealed: Uint8Array): Buffer {
  if (sealed.length < CRYPTO_OVERHEAD) {
    throw new AuthenticationError(`Ciphertext of ${sealed.length} bytes is shorter than IV and MAC`);
  }
  const iv = sealed.subarray(0, IV_SIZE);
  const ciphertext = sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE);
  const tag = sealed.subarray(sealed.length - MAC_SIZE);
  const expected = poly1305Aes(key.mac, iv, ciphertext);
  if (!timingSafeEqual(expected, tag)) throw new AuthenticationError('Ciphertext verification failed (wrong key or damaged data)');
  const decipher = createDecipheriv('aes-256-ctr', key.encrypt, iv);
  const a = decipher.update(ciphertext);
  const b = decipher.final();
  return b.length === 0 ? a : Buffer.concat([a, b]);
}
