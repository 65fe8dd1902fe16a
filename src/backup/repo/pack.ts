/**
 * Pack files in `data/` (design.rst, "Pack Format"):
 * `EncryptedBlob1 || … || EncryptedBlobN || EncryptedHeader || Header_Length`, with the header
 * length a 4-byte little-endian count of the encrypted header's bytes. Each header entry is a type
 * byte, then `Length(encrypted_blob)` (u32 LE), for compressed types also `Length(plaintext_blob)`
 * (u32 LE), then the 32-byte plaintext hash. Types: 0 data, 1 tree, 2 compressed data,
 * 3 compressed tree (2 and 3 only in format version 2).
 */
import { CRYPTO_OVERHEAD, open, seal, type MasterKey } from './crypto.js';
import { ID_SIZE, idFromBytes, idToBytes, type Id } from './id.js';

export type BlobType = 'data' | 'tree';

/** One blob's entry in a pack header (and, with the pack id, in an index). */
export interface PackedBlob {
  type: BlobType;
  id: Id;
  /** Offset of the encrypted blob in the pack. */
  offset: number;
  /** Length of the encrypted blob (ciphertext, IV and MAC). */
  length: number;
  /** The plaintext length when the blob is compressed; undefined when it is not. */
  uncompressedLength?: number;
}

const PLAIN_ENTRY = 1 + 4 + ID_SIZE;
const COMPRESSED_ENTRY = 1 + 4 + 4 + ID_SIZE;
/** The trailing header length field. */
export const HEADER_LENGTH_SIZE = 4;

export function headerEntryLength(b: Pick<PackedBlob, 'uncompressedLength'>): number {
  return b.uncompressedLength === undefined ? PLAIN_ENTRY : COMPRESSED_ENTRY;
}

/** The plaintext header's length for `blobs`. */
export function headerEncodingLength(blobs: readonly Pick<PackedBlob, 'uncompressedLength'>[]): number {
  let n = 0;
  for (const b of blobs) n += headerEntryLength(b);
  return n;
}

/** The plaintext pack header for `blobs`, in pack order. */
export function encodePackHeader(blobs: readonly PackedBlob[]): Buffer {
  const out = Buffer.alloc(headerEncodingLength(blobs));
  let o = 0;
  for (const b of blobs) {
    const compressed = b.uncompressedLength !== undefined;
    out[o] = (compressed ? 2 : 0) | (b.type === 'tree' ? 1 : 0);
    out.writeUInt32LE(b.length, o + 1);
    o += 5;
    if (compressed) {
      out.writeUInt32LE(b.uncompressedLength!, o);
      o += 4;
    }
    idToBytes(b.id).copy(out, o);
    o += ID_SIZE;
  }
  return out;
}

/** The blobs a plaintext header lists, with offsets computed from the lengths. */
export function decodePackHeader(header: Uint8Array): PackedBlob[] {
  const buf = Buffer.from(header.buffer, header.byteOffset, header.length);
  const blobs: PackedBlob[] = [];
  let o = 0;
  let offset = 0;
  while (o < buf.length) {
    const t = buf[o]!;
    if (t > 3) throw new RangeError(`Invalid blob type ${t} in pack header at byte ${o}`);
    const compressed = (t & 2) !== 0;
    const size = compressed ? COMPRESSED_ENTRY : PLAIN_ENTRY;
    if (o + size > buf.length) throw new RangeError(`Pack header truncated at byte ${o}`);
    const length = buf.readUInt32LE(o + 1);
    const uncompressedLength = compressed ? buf.readUInt32LE(o + 5) : undefined;
    const id = idFromBytes(buf.subarray(o + size - ID_SIZE, o + size));
    const blob: PackedBlob = { type: t & 1 ? 'tree' : 'data', id, offset, length };
    if (uncompressedLength !== undefined) blob.uncompressedLength = uncompressedLength;
    blobs.push(blob);
    offset += length;
    o += size;
  }
  return blobs;
}

/** The tail of a pack: the encrypted header and its length. */
export function encodePackTrailer(key: MasterKey, blobs: readonly PackedBlob[]): Buffer {
  const sealed = seal(key, encodePackHeader(blobs));
  const out = Buffer.allocUnsafe(sealed.length + HEADER_LENGTH_SIZE);
  sealed.copy(out, 0);
  out.writeUInt32LE(sealed.length, sealed.length);
  return out;
}

/** The encrypted header's length from a pack's last four bytes. */
export function decodeHeaderLength(tail: Uint8Array, packSize: number): number {
  const n = Buffer.from(tail.buffer, tail.byteOffset, tail.length).readUInt32LE(tail.length - 4);
  if (n < CRYPTO_OVERHEAD || n + HEADER_LENGTH_SIZE > packSize) throw new RangeError(`Invalid pack header length ${n} for a pack of ${packSize} bytes`);
  return n;
}

/** Reads a pack's blob list from its encrypted header. */
export function decodePackTrailer(key: MasterKey, encryptedHeader: Uint8Array): PackedBlob[] {
  return decodePackHeader(open(key, encryptedHeader));
}
