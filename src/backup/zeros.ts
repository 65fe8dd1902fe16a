/** Runs of zeros in restored data: written as holes (sparse files), not as bytes. */

/** Whether every byte of `data` is zero (false for an empty buffer). */
export function isZeros(data: Uint8Array): boolean {
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (b.length === 0 || b[0] !== 0 || b[b.length - 1] !== 0) return false;
  return b.equals(zeroBlock(b.length));
}

let zeros = Buffer.alloc(0);
function zeroBlock(n: number): Buffer {
  if (zeros.length < n) zeros = Buffer.alloc(n);
  return zeros.subarray(0, n);
}
