/**
 * Small files of one directory read and hashed in batches, one thread-pool job per batch (the
 * addon's hashFiles with its data, native/hash-files.cc), instead of one job per file.
 *
 * Why: a first backup of 200,000 small files spent 8.1 s of its main thread's 26 s queueing one
 * thread-pool job per file and 20 s of system time in all (restic: 4.7 s), most of it waking a
 * pool thread and then the main thread again for every file (docs/backups.md, "Small files in
 * batches"). A batch also hands the blob's id (the SHA-256 of the content, design.rst) over
 * with the bytes, so the main thread no longer hashes them.
 *
 * A file the job could not read as a whole regular file of at most the limit (gone, grown,
 * changed while read, unreadable, no OpenSSL) is not an error here: its caller stores it the
 * ordinary way, one file at a time, which reports what went wrong as before.
 */
import { HASH_FILES_RECORD_BYTES, HASH_FILES_SHA256_AT } from '../net/hash-files-wire.js';
import { idFromBytes, type Id } from './repo/id.js';

export { packNames } from '../net/hash-files-wire.js';

/**
 * The addon's call (native/hash-files.cc) with a buffer to write the records and the files'
 * bytes into: resolves the bytes of `into` used.
 */
export type HashFilesInto = (dir: string | Buffer, names: Buffer, limit: number, into: Buffer) => Promise<number>;

/** Files up to this size (by lstat) are read in batches (they fit the job's one read buffer). */
export const BATCH_FILE_MAX = 64 * 1024 - 1;
/** Files per batch: few enough that several batches of a directory keep the pool's threads busy. */
export const BATCH_FILES = 64;
/** Bytes per batch (by lstat), so a batch's buffer stays small. */
export const BATCH_BYTES = 1024 * 1024;

const RECORD_BYTES = HASH_FILES_RECORD_BYTES;
/**
 * A batch's buffer (reused from batch to batch): its records, its files' bytes by lstat, and room
 * for one of them to have grown to the limit since (a file that no longer fits is read alone).
 */
export const BATCH_BUFFER_BYTES = BATCH_FILES * RECORD_BYTES + BATCH_BYTES + BATCH_FILE_MAX + 1;

/** One file of a batch as the job found it. */
export type BatchFile = { ok: true; id: Id; data: Buffer } | { ok: false };

/**
 * Splits files (their sizes, in order) into batches of at most BATCH_FILES files and BATCH_BYTES
 * bytes; returns each batch as indexes into `sizes`.
 */
export function planBatches(sizes: readonly number[], maxFiles = BATCH_FILES, maxBytes = BATCH_BYTES): number[][] {
  const batches: number[][] = [];
  let batch: number[] = [];
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (batch.length > 0 && (batch.length >= maxFiles || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(i);
    bytes += size;
  });
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * The job's answer for `count` names (the used part of its buffer): each file read whole (its id
 * and a view of its bytes) or not. Throws when the answer does not hold the records and data it
 * should: the caller then stores the files one by one.
 */
export function parseBatch(answer: Buffer, count: number): BatchFile[] {
  const files: BatchFile[] = [];
  let data = count * RECORD_BYTES;
  for (let i = 0; i < count; i++) {
    const record = i * RECORD_BYTES;
    if (record + RECORD_BYTES > answer.length) throw new RangeError(`The batch's answer ends inside record ${i}`);
    if (answer.readInt32BE(record) !== 0) {
      files.push({ ok: false });
      continue;
    }
    const size = Number(answer.readBigUInt64BE(record + 4));
    if (data + size > answer.length) throw new RangeError(`The batch's answer lacks the data of record ${i}`);
    files.push({ ok: true, id: idFromBytes(answer.subarray(record + HASH_FILES_SHA256_AT, record + RECORD_BYTES)), data: answer.subarray(data, data + size) });
    data += size;
  }
  if (data !== answer.length) throw new RangeError(`The batch's answer has ${answer.length - data} bytes more than its records say`);
  return files;
}
