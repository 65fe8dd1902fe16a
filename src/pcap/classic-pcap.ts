/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then records of a
 * 16-byte header and the captured bytes. Either byte order; micro- or nanosecond timestamps.
 */
import type { CaptureRecord, ReadCaptureOptions } from './capture-record.js';

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

/** The magic number as read in the writer's byte order, and what it says about timestamps. */
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;

/** The draft puts the link type in the low 16 bits; the upper bits carry FCS information. */
const LINK_TYPE_MASK = 0xffff;

interface ClassicHeader {
  littleEndian: boolean;
  /** Units of the sub-second timestamp field per second. */
  fractionsPerSecond: number;
  linkType: number;
}

/** True when the buffer starts with a classic pcap magic number, in either byte order. */
export function isClassicPcap(file: Buffer): boolean {
  return file.length >= 4 && readHeaderMagic(file) !== undefined;
}

function readHeaderMagic(file: Buffer): Omit<ClassicHeader, 'linkType'> | undefined {
  const big = file.readUInt32BE(0);
  const little = file.readUInt32LE(0);
  if (big === MAGIC_MICROSECONDS) return { littleEndian: false, fractionsPerSecond: 1e6 };
  if (big === MAGIC_NANOSECONDS) return { littleEndian: false, fractionsPerSecond: 1e9 };
  if (little === MAGIC_MICROSECONDS) return { littleEndian: true, fractionsPerSecond: 1e6 };
  if (little === MAGIC_NANOSECONDS) return { littleEndian: true, fractionsPerSecond: 1e9 };
  return undefined;
}

function readFileHeader(file: Buffer): ClassicHeader {
  const magic = file.length >= 4 ? readHeaderMagic(file) : undefined;
  if (!magic) throw new SyntaxError('Not a classic pcap file: unknown magic number at offset 0');
  if (file.length < FILE_HEADER_LENGTH) {
    throw new SyntaxError(`Truncated pcap file header: ${file.length} of ${FILE_HEADER_LENGTH} bytes at offset 0`);
  }
  const u16 = (at: number) => (magic.littleEndian ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const u32 = (at: number) => (magic.littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const major = u16(4);
  if (major !== 2) throw new SyntaxError(`Unsupported pcap version ${major}.${u16(6)} at offset 4`);
  return { ...magic, linkType: u32(20) & LINK_TYPE_MASK };
}

/**
 * Yields the records of a classic pcap file in order. Throws SyntaxError (naming the offset) for
 * a bad file header or a record that runs past the end of the file; records before it are
 * yielded first. A record with an impossible timestamp is skipped and reported.
 */
export function* readClassicPcap(file: Buffer, options: ReadCaptureOptions = {}): Generator<CaptureRecord> {
  const header = readFileHeader(file);
  const u32 = (at: number) => (header.littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at));
  let offset = FILE_HEADER_LENGTH;
  while (offset < file.length) {
    if (file.length - offset < RECORD_HEADER_LENGTH) {
      throw new SyntaxError(
        `Truncated pcap record header at offset ${offset}: ${file.length - offset} of ${RECORD_HEADER_LENGTH} bytes`,
      );
    }
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const capturedLength = u32(offset + 8);
    const originalLength = u32(offset + 12);
    const dataStart = offset + RECORD_HEADER_LENGTH;
    if (capturedLength > file.length - dataStart) {
      throw new SyntaxError(
        `Truncated pcap record at offset ${offset}: captured length ${capturedLength} but ${file.length - dataStart} bytes left`,
      );
    }
    if (fraction >= header.fractionsPerSecond) {
      options.onSkipped?.({ offset, reason: `sub-second timestamp ${fraction} is not below ${header.fractionsPerSecond}` });
      offset = dataStart + capturedLength;
      continue;
    }
    yield {
      time: seconds + fraction / header.fractionsPerSecond,
      linkType: header.linkType,
      data: file.subarray(dataStart, dataStart + capturedLength),
      originalLength: Math.max(originalLength, capturedLength),
    };
    offset = dataStart + capturedLength;
  }
}
