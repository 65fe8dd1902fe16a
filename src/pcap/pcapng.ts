/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of sections, each a Section Header Block
 * (which fixes the byte order) followed by Interface Description Blocks and packet blocks.
 * Reads Enhanced and Simple Packet Blocks; every other block type is skipped by its length.
 */
import type { CaptureRecord, ReadCaptureOptions } from './capture-record.js';

const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
const BLOCK_SIMPLE_PACKET = 0x00000003;
const BLOCK_ENHANCED_PACKET = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Block type, block total length ... block total length. */
const BLOCK_OVERHEAD = 12;
const SECTION_HEADER_MIN_LENGTH = 28;
const INTERFACE_FIXED_LENGTH = 8;
const ENHANCED_FIXED_LENGTH = 20;
const SIMPLE_FIXED_LENGTH = 4;

const OPT_END_OF_OPTIONS = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Without if_tsresol, timestamps count microseconds. */
const DEFAULT_UNITS_PER_SECOND = 1_000_000n;

interface InterfaceDescription {
  linkType: number;
  /** 0 = no limit. */
  snapLength: number;
  unitsPerSecond: bigint;
  /** if_tsoffset: seconds added to every timestamp of the interface. */
  offsetSeconds: bigint;
}

/** Interfaces are numbered from 0 within their section, in the order they are described. */
interface Section {
  interfaces: InterfaceDescription[];
}

/** True when the buffer starts with a pcapng Section Header Block (its type is a palindrome). */
export function isPcapng(file: Buffer): boolean {
  return file.length >= 4 && file.readUInt32BE(0) === BLOCK_SECTION_HEADER;
}

/** Reads unsigned integers in the section's byte order. */
class SectionReader {
  constructor(
    private readonly file: Buffer,
    private readonly littleEndian: boolean,
  ) {}
  u8(at: number): number {
    return this.file.readUInt8(at);
  }
  u16(at: number): number {
    return this.littleEndian ? this.file.readUInt16LE(at) : this.file.readUInt16BE(at);
  }
  u32(at: number): number {
    return this.littleEndian ? this.file.readUInt32LE(at) : this.file.readUInt32BE(at);
  }
  i64(at: number): bigint {
    return this.littleEndian ? this.file.readBigInt64LE(at) : this.file.readBigInt64BE(at);
  }
}

function readByteOrder(file: Buffer, offset: number): boolean {
  if (file.length - offset < BLOCK_OVERHEAD) {
    throw new SyntaxError(`Truncated pcapng section header block at offset ${offset}`);
  }
  if (file.readUInt32LE(offset + 8) === BYTE_ORDER_MAGIC) return true;
  if (file.readUInt32BE(offset + 8) === BYTE_ORDER_MAGIC) return false;
  throw new SyntaxError(
    `Bad pcapng byte-order magic 0x${file.readUInt32BE(offset + 8).toString(16).padStart(8, '0')} at offset ${offset + 8}`,
  );
}

/**
 * Yields the packets of a pcapng file in order. Throws SyntaxError (naming the offset) when the
 * block structure is broken; packets before that point are yielded first. A packet block whose
 * own contents are inconsistent (unknown interface, captured length past the block) is skipped
 * and reported through options.onSkipped.
 */
export function* readPcapng(file: Buffer, options: ReadCaptureOptions = {}): Generator<CaptureRecord> {
  let section: Section | undefined;
  let reader: SectionReader | undefined;
  let offset = 0;
  while (offset < file.length) {
    const isSectionHeader = file.length - offset >= 4 && file.readUInt32BE(offset) === BLOCK_SECTION_HEADER;
    if (isSectionHeader) {
      reader = new SectionReader(file, readByteOrder(file, offset));
      section = { interfaces: [] };
    }
    if (!reader || !section) throw new SyntaxError('Not a pcapng file: no section header block at offset 0');
    if (file.length - offset < BLOCK_OVERHEAD) {
      throw new SyntaxError(`Truncated pcapng block at offset ${offset}: ${file.length - offset} bytes left`);
    }
    const type = reader.u32(offset);
    const length = reader.u32(offset + 4);
    checkBlockFraming(file, reader, offset, length, isSectionHeader);
    const body = offset + 8;
    const bodyEnd = offset + length - 4;
    switch (type) {
      case BLOCK_SECTION_HEADER: {
        const major = reader.u16(body + 4);
        if (major !== 1) throw new SyntaxError(`Unsupported pcapng version ${major}.${reader.u16(body + 6)} at offset ${body + 4}`);
        break;
      }
      case BLOCK_INTERFACE_DESCRIPTION:
        section.interfaces.push(readInterfaceDescription(reader, offset, body, bodyEnd));
        break;
      case BLOCK_ENHANCED_PACKET:
      case BLOCK_SIMPLE_PACKET: {
        const block: PacketBlock = { file, reader, section, body, bodyEnd };
        const record = type === BLOCK_ENHANCED_PACKET ? readEnhancedPacket(block) : readSimplePacket(block);
        if (typeof record === 'string') options.onSkipped?.({ offset, reason: record });
        else yield record;
        break;
      }
      default:
        // Name resolution, statistics, custom and unknown blocks carry no packets.
        break;
    }
    offset += length;
  }
}

function checkBlockFraming(
  file: Buffer,
  reader: SectionReader,
  offset: number,
  length: number,
  isSectionHeader: boolean,
): void {
  const minimum = isSectionHeader ? SECTION_HEADER_MIN_LENGTH : BLOCK_OVERHEAD;
  if (length < minimum || length % 4 !== 0) {
    throw new SyntaxError(`Invalid pcapng block length ${length} at offset ${offset + 4}`);
  }
  if (length > file.length - offset) {
    throw new SyntaxError(
      `Truncated pcapng block at offset ${offset}: length ${length} but ${file.length - offset} bytes left`,
    );
  }
  const trailer = reader.u32(offset + length - 4);
  if (trailer !== length) {
    throw new SyntaxError(
      `Mismatched pcapng block length at offset ${offset + length - 4}: ${trailer}, the block header says ${length}`,
    );
  }
}

function readInterfaceDescription(
  reader: SectionReader,
  offset: number,
  body: number,
  bodyEnd: number,
): InterfaceDescription {
  if (bodyEnd - body < INTERFACE_FIXED_LENGTH) {
    throw new SyntaxError(`Truncated pcapng interface description block at offset ${offset}`);
  }
  const description: InterfaceDescription = {
    linkType: reader.u16(body),
    snapLength: reader.u32(body + 4),
    unitsPerSecond: DEFAULT_UNITS_PER_SECOND,
    offsetSeconds: 0n,
  };
  let at = body + INTERFACE_FIXED_LENGTH;
  while (bodyEnd - at >= 4) {
    const code = reader.u16(at);
    const valueLength = reader.u16(at + 2);
    if (code === OPT_END_OF_OPTIONS) break;
    const value = at + 4;
    if (valueLength > bodyEnd - value) {
      throw new SyntaxError(`Pcapng option ${code} of length ${valueLength} runs past its block at offset ${at}`);
    }
    if (code === OPT_IF_TSRESOL) {
      if (valueLength !== 1) throw new SyntaxError(`Invalid pcapng if_tsresol length ${valueLength} at offset ${at}`);
      description.unitsPerSecond = unitsPerSecond(reader.u8(value));
    } else if (code === OPT_IF_TSOFFSET) {
      if (valueLength !== 8) throw new SyntaxError(`Invalid pcapng if_tsoffset length ${valueLength} at offset ${at}`);
      description.offsetSeconds = reader.i64(value);
    }
    at = value + Math.ceil(valueLength / 4) * 4;
  }
  return description;
}

/** if_tsresol: top bit clear = 10^-n seconds, set = 2^-n seconds. */
function unitsPerSecond(tsresol: number): bigint {
  const exponent = BigInt(tsresol & 0x7f);
  return tsresol & 0x80 ? 2n ** exponent : 10n ** exponent;
}

function timestampSeconds(description: InterfaceDescription, units: bigint): number {
  const whole = units / description.unitsPerSecond + description.offsetSeconds;
  const fraction = units % description.unitsPerSecond;
  return Number(whole) + Number(fraction) / Number(description.unitsPerSecond);
}

/** A packet block's body, [body, bodyEnd) of the file, and the section it belongs to. */
interface PacketBlock {
  file: Buffer;
  reader: SectionReader;
  section: Section;
  body: number;
  bodyEnd: number;
}

/** Enhanced Packet Blocks name their interface and carry a timestamp. A record, or why it is skipped. */
function readEnhancedPacket({ file, reader, section, body, bodyEnd }: PacketBlock): CaptureRecord | string {
  if (bodyEnd - body < ENHANCED_FIXED_LENGTH) return 'enhanced packet block too short for its fixed fields';
  const interfaceId = reader.u32(body);
  const description = section.interfaces[interfaceId];
  if (!description) return `enhanced packet block names interface ${interfaceId}, which was not described`;
  const units = (BigInt(reader.u32(body + 4)) << 32n) | BigInt(reader.u32(body + 8));
  const capturedLength = reader.u32(body + 12);
  const originalLength = reader.u32(body + 16);
  const data = body + ENHANCED_FIXED_LENGTH;
  if (capturedLength > bodyEnd - data) {
    return `captured length ${capturedLength} runs past the enhanced packet block (${bodyEnd - data} bytes)`;
  }
  return {
    time: timestampSeconds(description, units),
    linkType: description.linkType,
    data: file.subarray(data, data + capturedLength),
    originalLength: Math.max(originalLength, capturedLength),
  };
}

/** Simple Packet Blocks belong to interface 0 and have no timestamp (time is NaN). */
function readSimplePacket({ file, reader, section, body, bodyEnd }: PacketBlock): CaptureRecord | string {
  if (bodyEnd - body < SIMPLE_FIXED_LENGTH) return 'simple packet block too short for its length field';
  const description = section.interfaces[0];
  if (!description) return 'simple packet block before any interface description';
  const originalLength = reader.u32(body);
  const data = body + SIMPLE_FIXED_LENGTH;
  // The captured length is implied: the original length, cut at the snap length and the block.
  let capturedLength = Math.min(originalLength, bodyEnd - data);
  if (description.snapLength > 0) capturedLength = Math.min(capturedLength, description.snapLength);
  return {
    time: Number.NaN,
    linkType: description.linkType,
    data: file.subarray(data, data + capturedLength),
    originalLength,
  };
}
