/**
 * File names are bytes; JavaScript strings are UTF-16. A name that is valid UTF-8 is held as its
 * decoded string; each byte of a name that is not is held as a lone low surrogate U+DC80–U+DCFF
 * (Python's "surrogateescape"), which no decoded UTF-8 can contain. So every name round-trips:
 * nameToBytes(bytesToName(b)) equals b. Paths with escaped bytes go to node:fs as Buffers.
 */
import { decodeRune } from './go-json.js';

export function bytesToName(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; ) {
    const [r, width] = decodeRune(b, i);
    out += r < 0 ? String.fromCharCode(0xdc00 + b[i]!) : String.fromCodePoint(r);
    i += width;
  }
  return out;
}

const ESCAPED = /[\udc80-\udcff]/;

export function nameToBytes(s: string): Buffer {
  if (!ESCAPED.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++; // a pair: an ordinary code point
      continue;
    }
    if (c >= 0xdc80 && c <= 0xdcff) {
      parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** A path for node:fs: the string itself, or its bytes when it holds escaped bytes. */
export function fsPath(s: string): string | Buffer {
  return ESCAPED.test(s) ? nameToBytes(s) : s;
}
