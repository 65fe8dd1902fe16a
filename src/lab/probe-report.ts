/**
 * Turning a prober's record of echo requests and replies into what a failover test wants to know:
 * how many were lost and how long the longest outage was.
 */

/** One echo request, by sequence number (the array index). Times are epoch milliseconds. */
export interface ProbeRecord {
  sentAt: number;
  repliedAt?: number;
}

/** A run of requests without a reply. */
export interface ProbeGap {
  /** Last answered sequence number before the run (null: none, the run opens the record). */
  afterSeq: number | null;
  /** First answered sequence number after the run (null: none, the run was still open at the end). */
  beforeSeq: number | null;
  /** Requests in the run. */
  lost: number;
  /** When the outage began: the last reply before it (epoch ms). */
  startedAt: number;
  /** Last reply before to first reply after; for an open run, to the time probing stopped. */
  ms: number;
  /** True when no reply ended the run. */
  open: boolean;
}

export interface ProbeReport {
  sent: number;
  received: number;
  lost: number;
  /** Replies to a sequence number already answered. */
  duplicates: number;
  /** Longest gap in ms, 0 without loss. */
  maxGapMs: number;
  gaps: ProbeGap[];
  /** Round-trip times of the answered requests, or null when none was answered. */
  rttMs: { min: number; avg: number; max: number } | null;
  /** First counted request to the end of probing. */
  durationMs: number;
}

/**
 * Builds the report. Counting starts at the first answered request, so the address resolution
 * before the first reply is not taken for an outage; if nothing was ever answered, everything counts.
 */
export function buildProbeReport(records: readonly ProbeRecord[], stoppedAt: number, duplicates = 0): ProbeReport {
  const first = records.findIndex((record) => record.repliedAt !== undefined);
  if (first < 0) {
    const startedAt = records[0]?.sentAt ?? stoppedAt;
    const gaps: ProbeGap[] =
      records.length === 0
        ? []
        : [{ afterSeq: null, beforeSeq: null, lost: records.length, startedAt, ms: Math.max(0, stoppedAt - startedAt), open: true }];
    return {
      sent: records.length,
      received: 0,
      lost: records.length,
      duplicates,
      maxGapMs: gaps[0]?.ms ?? 0,
      gaps,
      rttMs: null,
      durationMs: Math.max(0, stoppedAt - startedAt),
    };
  }

  const gaps: ProbeGap[] = [];
  const rtts: number[] = [];
  let lastAnswered = first;
  for (let seq = first; seq < records.length; seq++) {
    const record = records[seq] as ProbeRecord;
    if (record.repliedAt === undefined) continue;
    rtts.push(record.repliedAt - record.sentAt);
    if (seq - lastAnswered > 1) {
      const before = (records[lastAnswered] as ProbeRecord).repliedAt as number;
      gaps.push({
        afterSeq: lastAnswered,
        beforeSeq: seq,
        lost: seq - lastAnswered - 1,
        startedAt: before,
        // Replies can overtake each other under jitter; an outage is never negative.
        ms: Math.max(0, record.repliedAt - before),
        open: false,
      });
    }
    lastAnswered = seq;
  }
  if (lastAnswered < records.length - 1) {
    const before = (records[lastAnswered] as ProbeRecord).repliedAt as number;
    gaps.push({
      afterSeq: lastAnswered,
      beforeSeq: null,
      lost: records.length - 1 - lastAnswered,
      startedAt: before,
      ms: Math.max(0, stoppedAt - before),
      open: true,
    });
  }

  const sent = records.length - first;
  const received = rtts.length;
  return {
    sent,
    received,
    lost: sent - received,
    duplicates,
    maxGapMs: gaps.reduce((max, gap) => Math.max(max, gap.ms), 0),
    gaps,
    rttMs: {
      min: rtts.reduce((min, rtt) => Math.min(min, rtt), Infinity),
      avg: rtts.reduce((sum, rtt) => sum + rtt, 0) / rtts.length,
      max: rtts.reduce((max, rtt) => Math.max(max, rtt), -Infinity),
    },
    durationMs: Math.max(0, stoppedAt - (records[first] as ProbeRecord).sentAt),
  };
}
