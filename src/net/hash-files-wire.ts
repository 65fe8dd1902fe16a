/**
 * The addon's hashFiles() wire (native/hash-files.cc), shared by file replication's tree digests
 * and a backup's small-file batches: names in, one fixed-size record per name out.
 */

/** A record: i32 status | u64 size | u64 ino | u64 dev | i64 mtime ns | i64 ctime ns | 32 bytes SHA-256 (big-endian). */
export const HASH_FILES_RECORD_BYTES = 4 + 5 * 8 + 32;

/** Where a record's SHA-256 starts. */
export const HASH_FILES_SHA256_AT = 44;

/** Names of one directory as hashFiles takes them: each a u32 big-endian length and the name's bytes. */
export function packNames(names: readonly Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(names.reduce((n, name) => n + 4 + name.length, 0));
  let o = 0;
  for (const name of names) {
    out.writeUInt32BE(name.length, o);
    name.copy(out, o + 4);
    o += 4 + name.length;
  }
  return out;
}
