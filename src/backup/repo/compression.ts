/**
 * Compression for repository format version 2 (design.rst, "Pack Format" and "Unpacked Data
 * Format": data and tree blobs, index, snapshot and lock files may be compressed with zstandard).
 *
 * The repository needs only these two functions; they are a port so that a worker-thread or
 * another zstd implementation can stand in. The default is zstd-napi (the zstd C library, built
 * from the source inside the npm package by node-gyp).
 */
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';

export interface Compression {
  /** A zstd frame holding `data`. */
  compress(data: Uint8Array): Uint8Array;
  /** The data of a zstd frame (or frames); throws on damaged input. */
  decompress(frame: Uint8Array): Uint8Array;
}

/** restic's "auto" mode uses zstd's default speed; level 3 is the C library's equivalent. */
const ZSTD_LEVEL = 3;

export const zstd: Compression = {
  compress: (data) => zstdCompress(data, { compressionLevel: ZSTD_LEVEL }),
  decompress: (frame) => zstdDecompress(frame),
};
