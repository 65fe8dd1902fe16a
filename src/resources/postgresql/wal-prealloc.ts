/**
 * Which WAL segment file a promotion of this standby would create, so that it can exist before
 * the promotion (pure: names and positions, no I/O; the file itself is wal-segment-file.ts).
 *
 * What PostgreSQL 15 does at the end of recovery (src/backend/access/transam/xlog.c, timeline.c,
 * REL_15_STABLE):
 * - StartupXLOG picks the new timeline as `findNewestTimeLine(recoveryTargetTLI) + 1`;
 *   findNewestTimeLine probes `startTLI + 1, + 2, …` and stops at the first TLI with no
 *   pg_wal/<TLI>.history file (existsTimeLineHistory), so the new timeline is the first TLI above
 *   the one it followed that has no history file.
 * - It then calls `PreallocXlogFiles(EndOfLog, newTLI)`: `XLByteToPrevSeg(endptr)` takes the
 *   segment holding the byte before EndOfLog; when that byte's offset in its segment is at least
 *   75 % of wal_segment_size, it calls `XLogFileInitInternal(segno + 1, newTLI)`. That function
 *   first tries to open an existing file of that name ("Try to use existent file (checkpoint maker
 *   may have created it already)") and returns it as it is; only when there is none does it
 *   create a temporary file, zero-fill it (wal_init_zero), fsync it and rename it into place. All
 *   of it happens before SharedRecoveryState becomes DONE, i.e. before the server accepts writes.
 * - A segment is named `%08X%08X%08X` of (TLI, segno / segments-per-xlogid, segno %
 *   segments-per-xlogid), segments-per-xlogid = 2^32 / wal_segment_size (XLogFileName,
 *   xlog_internal.h).
 * So a zero-filled file of that name made beforehand turns the promotion's create + 16 MB of
 * writes + fsync into one open(). Zeros are what PostgreSQL itself puts in a new segment: a page
 * whose header magic is 0 is the end of WAL to every reader (XLogReaderValidatePageHeader).
 */

/** A WAL position (pg_lsn) as a number of bytes. */
export function parseLsnBytes(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (match === null) throw new SyntaxError(`Not a WAL position (pg_lsn): "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** XLogFileName: the 24-hex-digit name of segment `segno` of timeline `tli`. */
export function walFileName(tli: number, segno: bigint, segmentSize: number): string {
  checkSegmentSize(segmentSize);
  if (!Number.isInteger(tli) || tli < 1 || tli > 0xffffffff) throw new RangeError(`Not a timeline ID: ${tli}`);
  if (segno < 0n) throw new RangeError(`Not a segment number: ${segno}`);
  const perId = (1n << 32n) / BigInt(segmentSize);
  const hex = (v: bigint | number): string => v.toString(16).toUpperCase().padStart(8, '0');
  return hex(tli) + hex(segno / perId) + hex(segno % perId);
}

/** The timeline of a WAL segment file name, or undefined for any other name. */
export function walFileTimeline(name: string): number | undefined {
  return /^[0-9A-F]{24}$/.test(name) ? parseInt(name.slice(0, 8), 16) : undefined;
}

/** The timelines of the `<TLI>.history` files among pg_wal's names. */
export function historyTimelines(names: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const name of names) {
    const match = /^([0-9A-F]{8})\.history$/.exec(name);
    if (match !== null) out.add(parseInt(match[1] as string, 16));
  }
  return out;
}

/** findNewestTimeLine(followed) + 1: the first timeline above `followed` with no history file. */
export function promotionTimeline(followed: number, histories: ReadonlySet<number>): number {
  if (!Number.isInteger(followed) || followed < 1) throw new RangeError(`Not a timeline ID: ${followed}`);
  let tli = followed + 1;
  while (histories.has(tli)) tli++;
  return tli;
}

export interface PreallocInput {
  /** The standby's replay position (pg_last_wal_replay_lsn): where its WAL would end if promoted now. */
  readonly replayLsn: bigint;
  /** The timeline it follows (describeServer's standby timeline). */
  readonly timeline: number;
  /** Timelines that have a history file in pg_wal. */
  readonly histories: ReadonlySet<number>;
  readonly segmentSize: number;
  /** Prepare once replay is this far into its segment (0–1); PostgreSQL itself needs it from 0.75. */
  readonly threshold: number;
}

/**
 * The file a promotion now (or after a little more replay within this segment) would make, or
 * undefined while replay is below `threshold` of its segment (the promotion would make none, and a
 * file made this early would only sit there for most of a segment's worth of WAL).
 */
export function preallocTarget(input: PreallocInput): string | undefined {
  const { replayLsn, segmentSize, threshold } = input;
  checkSegmentSize(segmentSize);
  if (!(threshold >= 0 && threshold <= 0.75)) throw new RangeError(`Preallocation threshold must be in [0, 0.75], got ${threshold}`);
  if (replayLsn <= 0n) return undefined;
  const size = BigInt(segmentSize);
  // XLByteToPrevSeg / XLogSegmentOffset(endptr - 1).
  const last = replayLsn - 1n;
  const offset = Number(last % size);
  if (offset < threshold * segmentSize) return undefined;
  return walFileName(promotionTimeline(input.timeline, input.histories), last / size + 1n, segmentSize);
}

function checkSegmentSize(size: number): void {
  // initdb --wal-segsize: a power of two from 1 MB to 1 GB (IsValidWalSegSize).
  if (!Number.isInteger(size) || size < 1 << 20 || size > 1 << 30 || (size & (size - 1)) !== 0) {
    throw new RangeError(`Not a WAL segment size (a power of two from 1 MB to 1 GB): ${size}`);
  }
}
