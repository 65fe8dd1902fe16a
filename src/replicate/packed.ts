/**
 * Compact keys for what is held per file (content hashes, link index, versions sent): a few
 * 64-bit numbers as one flat latin1 string of 8 bytes each. A decimal key built by concatenation
 * (`${dev}:${ino}`) is, in V8, a tree of cons strings over separately allocated pieces once it is
 * 13 characters or longer — several heap objects and ~100–200 bytes per key where this is one
 * object of 16 + 8n bytes. Held for every file of a 100,000-file tree, that difference is a good
 * part of the heap, and V8 lets the heap grow to a few times what is live before collecting.
 */
const scratch = Buffer.allocUnsafe(8 * 8);

/** `values` (each a 64-bit integer; negative ones as two's complement) packed big-endian. */
export function packU64(...values: (bigint | number | string)[]): string {
  if (values.length > 8) throw new RangeError('packU64 takes at most 8 values');
  let o = 0;
  for (const value of values) o = scratch.writeBigUInt64BE(BigInt.asUintN(64, BigInt(value)), o);
  return scratch.toString('latin1', 0, o);
}

/** `head` (latin1) followed by `tail`'s bytes, as one flat string. */
export function packWith(head: string, tail: Buffer): string {
  const bytes = Buffer.allocUnsafe(head.length + tail.length);
  bytes.write(head, 0, 'latin1');
  tail.copy(bytes, head.length);
  return bytes.toString('latin1');
}
