/**
 * Route attributes (struct rtattr / nlattr): u16 length (header included), u16 type, value,
 * padded to 4 bytes. Integers are in host byte order.
 */
import { NLMSG_ALIGN } from './constants.js';
import { readU16, readU32, writeU16, writeU32 } from './host-order.js';

export interface Attribute {
  type: number;
  value: Buffer;
}

const ATTRIBUTE_HEADER_LENGTH = 4;
/** The top two bits of the type are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER), not the type. */
const ATTRIBUTE_TYPE_MASK = 0x3fff;
const MAX_ATTRIBUTE_LENGTH = 0xffff;

function align(length: number): number {
  return (length + NLMSG_ALIGN - 1) & ~(NLMSG_ALIGN - 1);
}

export function bytesAttribute(type: number, value: Buffer): Attribute {
  if (value.length + ATTRIBUTE_HEADER_LENGTH > MAX_ATTRIBUTE_LENGTH) {
    throw new RangeError(`Attribute ${type} value of ${value.length} bytes does not fit a 16-bit length`);
  }
  return { type, value };
}

export function u32Attribute(type: number, value: number): Attribute {
  const buf = Buffer.alloc(4);
  writeU32(buf, value, 0);
  return { type, value: buf };
}

export function u8Attribute(type: number, value: number): Attribute {
  return { type, value: Buffer.from([value & 0xff]) };
}

/** A NUL-terminated string, as the kernel expects for names and labels. */
export function stringAttribute(type: number, value: string): Attribute {
  return bytesAttribute(type, Buffer.from(`${value}\0`, 'utf8'));
}

/** Concatenates attributes, each padded to 4 bytes. */
export function encodeAttributes(attributes: readonly Attribute[]): Buffer {
  const total = attributes.reduce((sum, a) => sum + align(ATTRIBUTE_HEADER_LENGTH + a.value.length), 0);
  const buf = Buffer.alloc(total);
  let offset = 0;
  for (const a of attributes) {
    writeU16(buf, ATTRIBUTE_HEADER_LENGTH + a.value.length, offset);
    writeU16(buf, a.type, offset + 2);
    a.value.copy(buf, offset + ATTRIBUTE_HEADER_LENGTH);
    offset += align(ATTRIBUTE_HEADER_LENGTH + a.value.length);
  }
  return buf;
}

/** Attributes of one message by type, with typed readers that return undefined when absent or short. */
export class Attributes {
  constructor(private readonly byType: ReadonlyMap<number, Buffer>) {}

  has(type: number): boolean {
    return this.byType.has(type);
  }

  bytes(type: number): Buffer | undefined {
    return this.byType.get(type);
  }

  u8(type: number): number | undefined {
    const v = this.byType.get(type);
    return v && v.length >= 1 ? v[0] : undefined;
  }

  u32(type: number): number | undefined {
    const v = this.byType.get(type);
    return v && v.length >= 4 ? readU32(v, 0) : undefined;
  }

  /** Text up to the first NUL (the kernel terminates its strings; tolerate a missing NUL). */
  string(type: number): string | undefined {
    const v = this.byType.get(type);
    if (!v) return undefined;
    const nul = v.indexOf(0);
    return v.subarray(0, nul === -1 ? v.length : nul).toString('utf8');
  }

  types(): number[] {
    return [...this.byType.keys()];
  }
}

/**
 * Parses a run of attributes. Never throws: decoding stops at the first attribute whose length
 * does not fit. A repeated type keeps its first occurrence.
 */
export function decodeAttributes(buf: Buffer): Attributes {
  const byType = new Map<number, Buffer>();
  let offset = 0;
  while (offset + ATTRIBUTE_HEADER_LENGTH <= buf.length) {
    const length = readU16(buf, offset);
    if (length < ATTRIBUTE_HEADER_LENGTH || offset + length > buf.length) break;
    const type = readU16(buf, offset + 2) & ATTRIBUTE_TYPE_MASK;
    if (!byType.has(type)) byType.set(type, buf.subarray(offset + ATTRIBUTE_HEADER_LENGTH, offset + length));
    offset += align(length);
  }
  return new Attributes(byType);
}
