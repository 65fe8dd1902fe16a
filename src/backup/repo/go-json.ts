/**
 * JSON as Go's encoding/json writes it, so that the trees we store hash to the same ids as
 * restic's (design.rst, "Trees and Data": a tree is referenced by the SHA-256 of its JSON).
 *
 * Differences from JSON.stringify: `<`, `>` and `&` become \u003c \u003e \u0026, U+2028 and U+2029
 * are escaped, control characters other than \n \r \t are \u00XX (Go 1.19, restic 0.14's
 * toolchain, writes \b and \f that way too), and lone surrogates become U+FFFD (Go replaces
 * invalid UTF-8 the same way). Times are RFC 3339 with nanoseconds, trailing zeros trimmed, and
 * the zone offset (Go's time.RFC3339Nano, which is what time.Time.MarshalJSON writes).
 */

const HEX = '0123456789abcdef';

/** A JSON string literal as Go's encoding/json writes it (HTML-safe escaping on). */
export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      switch (c) {
        case 0x22: rep = '\\"'; break;
        case 0x5c: rep = '\\\\'; break;
        case 0x0a: rep = '\\n'; break;
        case 0x0d: rep = '\\r'; break;
        case 0x09: rep = '\\t'; break;
        default:
          rep = '\\u' + (c > 0xff ? c.toString(16) : '00' + HEX[c >> 4]! + HEX[c & 15]!);
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** An instant with nanosecond precision and the zone offset it is shown in. */
export interface GoTime {
  /** Seconds since the Unix epoch (may be negative). */
  sec: number;
  /** 0 ≤ nsec < 1e9. */
  nsec: number;
  /** Minutes east of UTC, as written in the text ("+01:00" is 60, "Z" is 0). */
  offsetMinutes: number;
}

/** The local zone's offset at `sec`, like Go's time.Local. */
export function localOffsetMinutes(sec: number): number {
  const offset = -new Date(sec * 1000).getTimezoneOffset();
  return offset === 0 ? 0 : offset; // never -0
}

/** A GoTime from nanoseconds since the epoch, in the local zone (as restic records mtimes). */
export function goTimeFromNs(ns: bigint): GoTime {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  const s = Number(sec);
  return { sec: s, nsec: Number(nsec), offsetMinutes: localOffsetMinutes(s) };
}

export function goTimeToNs(t: GoTime): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

/** The current time in the local zone. */
export function goTimeNow(): GoTime {
  const ms = Date.now();
  const ns = BigInt(ms) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return goTimeFromNs(ns);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const two = (n: number) => (n < 10 ? '0' + n : String(n));

/** Year, month (1-12) and day of a count of days since 1970-01-01 (Hinnant's civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/**
 * RFC 3339 with nanoseconds, as Go's time.RFC3339Nano formats it. Computed without a Date
 * (three times for every node of every tree a backup writes).
 */
export function formatGoTime(t: GoTime): string {
  const local = t.sec + t.offsetMinutes * 60;
  const days = Math.floor(local / 86400);
  const secs = local - days * 86400;
  const [y, mo, d] = civilFromDays(days);
  let out = `${pad(y, 4)}-${two(mo)}-${two(d)}T${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}`;
  if (t.nsec !== 0) out += '.' + pad(t.nsec, 9).replace(/0+$/, '');
  if (t.offsetMinutes === 0) return out + 'Z';
  const sign = t.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(t.offsetMinutes);
  return `${out}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Parses an RFC 3339 time with up to nanosecond precision (as Date.UTC would, day overflow included). */
export function parseGoTime(text: string): GoTime {
  const m = RFC3339.exec(text);
  if (!m) throw new SyntaxError(`Invalid RFC 3339 time '${text}'`);
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const offsetMinutes = z !== undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const month = Number(mo);
  let local: number;
  if (month >= 1 && month <= 12) {
    local = (daysFromCivil(Number(y), month, 1) + Number(d) - 1) * 86400 + Number(h) * 3600 + Number(mi) * 60 + Number(s);
  } else {
    // Out-of-range months roll over as Date.UTC rolls them (kept from the first implementation).
    const date = new Date(Date.UTC(Number(y), month - 1, Number(d), Number(h), Number(mi), Number(s)));
    if (Number(y) < 100) date.setUTCFullYear(Number(y)); // Date.UTC maps years 0-99 to 1900-1999
    local = date.getTime() / 1000;
  }
  const sec = local - offsetMinutes * 60;
  const nsec = frac === undefined ? 0 : Number(frac.padEnd(9, '0'));
  return { sec, nsec, offsetMinutes: offsetMinutes === 0 ? 0 : offsetMinutes };
}

/** A JSON value encoder for the handful of shapes the repository needs, in Go's spelling. */
export type GoJsonValue = string | number | boolean | null | GoJsonValue[] | { [key: string]: GoJsonValue | undefined };

/** Encodes like Go's json.Marshal (no indentation, object keys in insertion order, undefined dropped). */
export function goJsonEncode(v: GoJsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return goJsonString(v);
    case 'number':
      if (!Number.isFinite(v)) throw new RangeError(`Cannot encode ${v} as JSON`);
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (Array.isArray(v)) return '[' + v.map(goJsonEncode).join(',') + ']';
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(goJsonString(k) + ':' + goJsonEncode(x));
  return '{' + parts.join(',') + '}';
}

// ---- strconv.Quote / strconv.Unquote --------------------------------------------------------------
// restic's Node.MarshalJSON stores a file name as Go's strconv.Quote of its bytes without the outer
// quotes (so that names that are not UTF-8 survive JSON), and UnmarshalJSON undoes it with
// strconv.Unquote. Hence `a"b` is stored as the JSON string "a\\\"b".

const SIMPLE_ESCAPES: Record<number, string> = { 7: 'a', 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v' };
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's utf8.DecodeRune: [rune, width], with [-1, 1] for an invalid or short sequence. */
export function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? [((b0 & 0x1f) << 6) | (b[i + 1]! & 0x3f), 2] : [-1, 1];
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2)) return [-1, 1];
    return [((b0 & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f), 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return [-1, 1];
    return [((b0 & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f), 4];
  }
  return [-1, 1];
}

const hexDigits = (v: number, n: number) => v.toString(16).padStart(n, '0');

/** strconv.Quote(bytes) without the surrounding quotes. */
export function goQuote(name: Uint8Array | string): string {
  const b = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  let out = '';
  for (let i = 0; i < b.length; ) {
    const [r, width] = decodeRune(b, i);
    if (r < 0) {
      out += '\\x' + hexDigits(b[i]!, 2);
    } else if (r === 0x22 || r === 0x5c) {
      out += '\\' + String.fromCharCode(r);
    } else if (r === 0x20 || PRINTABLE.test(String.fromCodePoint(r))) {
      out += String.fromCodePoint(r);
    } else if (SIMPLE_ESCAPES[r] !== undefined) {
      out += '\\' + SIMPLE_ESCAPES[r];
    } else if (r < 0x20 || r === 0x7f) {
      out += '\\x' + hexDigits(r, 2);
    } else if (r < 0x10000) {
      out += '\\u' + hexDigits(r, 4);
    } else {
      out += '\\U' + hexDigits(r, 8);
    }
    i += width;
  }
  return out;
}

const UNESCAPE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c, '"': 0x22 };

/** strconv.Unquote('"' + s + '"') as bytes; SyntaxError when Go would reject it. */
export function goUnquote(s: string): Buffer {
  const out: number[] = [];
  const pushRune = (r: number) => out.push(...Buffer.from(String.fromCodePoint(r), 'utf8'));
  const hex = (from: number, n: number) => {
    const h = s.slice(from, from + n);
    if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new SyntaxError(`Invalid escape in quoted name '${s}'`);
    return parseInt(h, 16);
  };
  for (let i = 0; i < s.length; ) {
    const c = s.codePointAt(i)!;
    if (c === 0x22 || c === 0x0a) throw new SyntaxError(`Unescaped ${c === 0x22 ? 'quote' : 'newline'} in quoted name '${s}'`);
    if (c !== 0x5c) {
      pushRune(c);
      i += c > 0xffff ? 2 : 1;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) throw new SyntaxError(`Trailing backslash in quoted name '${s}'`);
    if (UNESCAPE[e] !== undefined) {
      out.push(UNESCAPE[e]);
      i += 2;
    } else if (e === 'x') {
      out.push(hex(i + 2, 2));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const r = hex(i + 2, n);
      if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) throw new SyntaxError(`Invalid code point in quoted name '${s}'`);
      pushRune(r);
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const o = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new SyntaxError(`Invalid octal escape in quoted name '${s}'`);
      out.push(parseInt(o, 8));
      i += 4;
    } else {
      throw new SyntaxError(`Invalid escape '\\${e}' in quoted name '${s}'`);
    }
  }
  return Buffer.from(out);
}
