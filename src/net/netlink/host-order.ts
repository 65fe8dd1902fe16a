/**
 * Netlink headers and most attributes are in the host's byte order (unlike IP packets),
 * so every integer field goes through these helpers.
 */
import { endianness } from 'node:os';

const LITTLE = endianness() === 'LE';

export function readU16(buf: Buffer, offset: number): number {
  return LITTLE ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
}

export function readU32(buf: Buffer, offset: number): number {
  return LITTLE ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

export function readS32(buf: Buffer, offset: number): number {
  return LITTLE ? buf.readInt32LE(offset) : buf.readInt32BE(offset);
}

export function writeU16(buf: Buffer, value: number, offset: number): void {
  if (LITTLE) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

export function writeU32(buf: Buffer, value: number, offset: number): void {
  if (LITTLE) buf.writeUInt32LE(value >>> 0, offset);
  else buf.writeUInt32BE(value >>> 0, offset);
}

export function writeS32(buf: Buffer, value: number, offset: number): void {
  if (LITTLE) buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}
