/**
 * Poly1305 (RFC 8439 §2.5), pure TypeScript: the fallback when no native MAC is available.
 *
 * The 130-bit accumulator is held in ten limbs of 13 bits (radix 2^13). With limbs below 2^14 and
 * the pre-multiplied 5·r below 2^16, every partial product stays below 2^30 and a row of ten
 * below 2^34, so plain JavaScript numbers are exact throughout: no BigInt, no 64-bit emulation.
 * 2^130 ≡ 5 (mod 2^130 − 5), so a product that wraps past limb 9 comes back multiplied by 5.
 */

const MASK13 = 0x1fff;

/** Loads 16 little-endian bytes at `off` as ten 13-bit limbs, with `hibit` as bit 128. */
function loadLimbs(b: Uint8Array, off: number, hibit: number, out: Float64Array): void {
  const t0 = b[off]! | (b[off + 1]! << 8);
  const t1 = b[off + 2]! | (b[off + 3]! << 8);
  const t2 = b[off + 4]! | (b[off + 5]! << 8);
  const t3 = b[off + 6]! | (b[off + 7]! << 8);
  const t4 = b[off + 8]! | (b[off + 9]! << 8);
  const t5 = b[off + 10]! | (b[off + 11]! << 8);
  const t6 = b[off + 12]! | (b[off + 13]! << 8);
  const t7 = b[off + 14]! | (b[off + 15]! << 8);
  out[0] = t0 & MASK13;
  out[1] = ((t0 >>> 13) | (t1 << 3)) & MASK13;
  out[2] = ((t1 >>> 10) | (t2 << 6)) & MASK13;
  out[3] = ((t2 >>> 7) | (t3 << 9)) & MASK13;
  out[4] = ((t3 >>> 4) | (t4 << 12)) & MASK13;
  out[5] = (t4 >>> 1) & MASK13;
  out[6] = ((t4 >>> 14) | (t5 << 2)) & MASK13;
  out[7] = ((t5 >>> 11) | (t6 << 5)) & MASK13;
  out[8] = ((t6 >>> 8) | (t7 << 8)) & MASK13;
  out[9] = (t7 >>> 5) | (hibit << 11);
}

/** An incremental Poly1305 over a one-time 32-byte key `r || s` (r is clamped here). */
export class Poly1305 {
  private readonly r = new Float64Array(10);
  private readonly r5 = new Float64Array(10);
  private readonly h = new Float64Array(10);
  private readonly s: Uint8Array;
  private readonly pending = new Uint8Array(16);
  private pendingLength = 0;
  private finished = false;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`Poly1305 key must be 32 bytes, got ${key.length}`);
    const r = Uint8Array.from(key.subarray(0, 16));
    clampR(r);
    loadLimbs(r, 0, 0, this.r);
    for (let i = 0; i < 10; i++) this.r5[i] = this.r[i]! * 5;
    this.s = Uint8Array.from(key.subarray(16, 32));
  }

  update(data: Uint8Array): this {
    if (this.finished) throw new TypeError('Poly1305 update after digest');
    let off = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(16 - this.pendingLength, data.length);
      this.pending.set(data.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      off = take;
      if (this.pendingLength < 16) return this;
      this.blocks(this.pending, 0, 16, 1);
      this.pendingLength = 0;
    }
    const whole = off + ((data.length - off) & ~15);
    this.blocks(data, off, whole, 1);
    off = whole;
    if (off < data.length) {
      this.pending.set(data.subarray(off), 0);
      this.pendingLength = data.length - off;
    }
    return this;
  }

  /** The 16-byte tag. The instance cannot be used afterwards. */
  digest(): Uint8Array {
    if (this.finished) throw new TypeError('Poly1305 digest called twice');
    this.finished = true;
    if (this.pendingLength > 0) {
      const last = new Uint8Array(16);
      last.set(this.pending.subarray(0, this.pendingLength));
      last[this.pendingLength] = 1;
      this.blocks(last, 0, 16, 0);
    }
    const h = this.h;
    // Carry until every limb is below 2^13 (h < 2^130).
    for (let round = 0; round < 3; round++) {
      let c = 0;
      for (let i = 0; i < 10; i++) {
        const v = h[i]! + c;
        c = Math.floor(v / 8192);
        h[i] = v - c * 8192;
      }
      h[0] = h[0]! + c * 5;
    }
    // g = h + 5 − 2^130; if no borrow, h ≥ p and the result is g.
    const g = new Float64Array(10);
    let c = 5;
    for (let i = 0; i < 10; i++) {
      const v = h[i]! + c;
      c = v >>> 13;
      g[i] = v & MASK13;
    }
    const useG = c === 1; // the carry out of limb 9 is bit 130
    const f = useG ? g : h;
    const w = [
      f[0]! | (f[1]! << 13),
      (f[1]! >>> 3) | (f[2]! << 10),
      (f[2]! >>> 6) | (f[3]! << 7),
      (f[3]! >>> 9) | (f[4]! << 4),
      (f[4]! >>> 12) | (f[5]! << 1) | (f[6]! << 14),
      (f[6]! >>> 2) | (f[7]! << 11),
      (f[7]! >>> 5) | (f[8]! << 8),
      (f[8]! >>> 8) | (f[9]! << 5),
    ];
    const out = new Uint8Array(16);
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const v = (w[i]! & 0xffff) + (this.s[2 * i]! | (this.s[2 * i + 1]! << 8)) + carry;
      carry = v >>> 16;
      out[2 * i] = v & 0xff;
      out[2 * i + 1] = (v >>> 8) & 0xff;
    }
    return out;
  }

  /** Processes the whole 16-byte blocks of b[off..end) (end − off a multiple of 16). */
  private blocks(b: Uint8Array, off: number, end: number, hibit: number): void {
    const hib = hibit << 11;
    const r = this.r;
    const r0 = r[0]!;
    const r1 = r[1]!;
    const r2 = r[2]!;
    const r3 = r[3]!;
    const r4 = r[4]!;
    const r5 = r[5]!;
    const r6 = r[6]!;
    const r7 = r[7]!;
    const r8 = r[8]!;
    const r9 = r[9]!;
    const s1 = r1 * 5;
    const s2 = r2 * 5;
    const s3 = r3 * 5;
    const s4 = r4 * 5;
    const s5 = r5 * 5;
    const s6 = r6 * 5;
    const s7 = r7 * 5;
    const s8 = r8 * 5;
    const s9 = r9 * 5;
    const h = this.h;
    let h0 = h[0]!;
    let h1 = h[1]!;
    let h2 = h[2]!;
    let h3 = h[3]!;
    let h4 = h[4]!;
    let h5 = h[5]!;
    let h6 = h[6]!;
    let h7 = h[7]!;
    let h8 = h[8]!;
    let h9 = h[9]!;
    for (; off < end; off += 16) {
      const t0 = b[off + 0]! | (b[off + 1]! << 8);
      const t1 = b[off + 2]! | (b[off + 3]! << 8);
      const t2 = b[off + 4]! | (b[off + 5]! << 8);
      const t3 = b[off + 6]! | (b[off + 7]! << 8);
      const t4 = b[off + 8]! | (b[off + 9]! << 8);
      const t5 = b[off + 10]! | (b[off + 11]! << 8);
      const t6 = b[off + 12]! | (b[off + 13]! << 8);
      const t7 = b[off + 14]! | (b[off + 15]! << 8);
      h0 += t0 & 0x1fff;
      h1 += ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
      h2 += ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
      h3 += ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
      h4 += ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
      h5 += (t4 >>> 1) & 0x1fff;
      h6 += ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
      h7 += ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
      h8 += ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
      h9 += (t7 >>> 5) | hib;
      let d0 = h0 * r0 + h1 * s9 + h2 * s8 + h3 * s7 + h4 * s6 + h5 * s5 + h6 * s4 + h7 * s3 + h8 * s2 + h9 * s1;
      let d1 = h0 * r1 + h1 * r0 + h2 * s9 + h3 * s8 + h4 * s7 + h5 * s6 + h6 * s5 + h7 * s4 + h8 * s3 + h9 * s2;
      let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s9 + h4 * s8 + h5 * s7 + h6 * s6 + h7 * s5 + h8 * s4 + h9 * s3;
      let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s9 + h5 * s8 + h6 * s7 + h7 * s6 + h8 * s5 + h9 * s4;
      let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s9 + h6 * s8 + h7 * s7 + h8 * s6 + h9 * s5;
      let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * s9 + h7 * s8 + h8 * s7 + h9 * s6;
      let d6 = h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * s9 + h8 * s8 + h9 * s7;
      let d7 = h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * s9 + h9 * s8;
      let d8 = h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * s9;
      let d9 = h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
      let c = Math.floor(d0 / 8192);
      h0 = d0 - c * 8192;
      d1 += c;
      c = Math.floor(d1 / 8192);
      h1 = d1 - c * 8192;
      d2 += c;
      c = Math.floor(d2 / 8192);
      h2 = d2 - c * 8192;
      d3 += c;
      c = Math.floor(d3 / 8192);
      h3 = d3 - c * 8192;
      d4 += c;
      c = Math.floor(d4 / 8192);
      h4 = d4 - c * 8192;
      d5 += c;
      c = Math.floor(d5 / 8192);
      h5 = d5 - c * 8192;
      d6 += c;
      c = Math.floor(d6 / 8192);
      h6 = d6 - c * 8192;
      d7 += c;
      c = Math.floor(d7 / 8192);
      h7 = d7 - c * 8192;
      d8 += c;
      c = Math.floor(d8 / 8192);
      h8 = d8 - c * 8192;
      d9 += c;
      c = Math.floor(d9 / 8192);
      h9 = d9 - c * 8192;
      h0 += c * 5;
      c = h0 >>> 13;
      h0 &= 0x1fff;
      h1 += c;
    }
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
    h[3] = h3;
    h[4] = h4;
    h[5] = h5;
    h[6] = h6;
    h[7] = h7;
    h[8] = h8;
    h[9] = h9;
  }
}

/** Clears the bits Poly1305 requires clear in r (RFC 8439 §2.5.1), in place. */
export function clampR(r: Uint8Array): void {
  r[3]! &= 15;
  r[7]! &= 15;
  r[11]! &= 15;
  r[15]! &= 15;
  r[4]! &= 252;
  r[8]! &= 252;
  r[12]! &= 252;
}

/** One-shot Poly1305 tag of `message` under the 32-byte one-time key `r || s`. */
export function poly1305(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Poly1305(key).update(message).digest();
}
