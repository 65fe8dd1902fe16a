/**
 * Polynomials over GF(2) for the chunker (design.rst, "Backups and Deduplication": "An irreducible
 * polynomial is selected at random and saved in the file config"). A polynomial is a bigint whose
 * bit i is the coefficient of x^i; restic picks degree 53 and tests irreducibility with Ben-Or's
 * algorithm. Only table set-up and `init` use these, so bigint's speed does not matter.
 */
import { randomBytes } from 'node:crypto';

export function degree(p: bigint): number {
  return p === 0n ? -1 : p.toString(2).length - 1;
}

export function polyMod(x: bigint, p: bigint): bigint {
  const dp = degree(p);
  if (dp < 0) throw new RangeError('Division by the zero polynomial');
  let d = degree(x);
  while (d >= dp) {
    x ^= p << BigInt(d - dp);
    d = degree(x);
  }
  return x;
}

export function polyMulMod(a: bigint, b: bigint, p: bigint): bigint {
  let r = 0n;
  while (b !== 0n) {
    if (b & 1n) r ^= a;
    a <<= 1n;
    b >>= 1n;
  }
  return polyMod(r, p);
}

function polyGcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, polyMod(a, b)];
  return a;
}

/** Ben-Or: p is irreducible iff gcd(p, x^(2^i) − x mod p) = 1 for every i ≤ deg(p)/2. */
export function isIrreducible(p: bigint): boolean {
  const n = degree(p);
  let xPow = 2n; // x^(2^0)
  for (let i = 1; i <= n / 2; i++) {
    xPow = polyMulMod(xPow, xPow, p); // x^(2^i) mod p
    if (polyGcd(p, xPow ^ 2n) !== 1n) return false;
  }
  return true;
}

/** A random irreducible polynomial of degree 53, as restic's init chooses one. */
export function randomIrreducible53(): bigint {
  for (let tries = 0; tries < 1_000_000; tries++) {
    let f = randomBytes(8).readBigUInt64LE() & ((1n << 54n) - 1n);
    f |= (1n << 53n) | 1n;
    f &= ~(1n << 54n) & ((1n << 54n) - 1n);
    if (degree(f) === 53 && isIrreducible(f)) return f;
  }
  throw new Error('No irreducible polynomial found');
}
