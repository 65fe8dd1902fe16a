/**
 * Takeover timing from a switch capture: when the backup announced the VIP, against when its
 * timer was due by the protocol — the daemon's own overhead, free of the client's part.
 */
import { canonicalIp } from '../../src/vrrp/ip-address.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import type { CaptureContents } from './capture-analysis.js';

export interface TakeoverTiming {
  /** b's first gratuitous ARP / unsolicited NA for the VIP (epoch ms, capture clock). */
  announcedAt: number;
  /** When b's timer was due: a's last advert before it plus Master_Down_Interval or Skew_Time. */
  deadlineAt: number;
  /** The advert it was reckoned from had priority 0 (a planned handover). */
  fromGoodbye: boolean;
  /** announcedAt − deadlineAt. */
  overheadMs: number;
}

export interface TakeoverQuery {
  masterIp: string;
  backupMac: string;
  vip: string;
  version: 2 | 3;
  intervalMs: number;
  backupPriority: number;
  /** Only announcements after / before these times (epoch ms). */
  after?: number;
  before?: number;
}

/**
 * b's first announcement of the VIP against the moment its timer was due: a's last advert before
 * it plus Master_Down_Interval (RFC 5798 §6.4.2), or plus Skew_Time when that advert had priority 0
 * (RFC 5798 §6.4.2: "If the Priority in the ADVERTISEMENT is zero"). Undefined when the capture
 * lacks either.
 */
export function takeoverTiming(contents: CaptureContents, query: TakeoverQuery): TakeoverTiming | undefined {
  const vip = canonicalIp(query.vip);
  const masterIp = canonicalIp(query.masterIp);
  const after = query.after ?? -Infinity;
  const before = query.before ?? Infinity;
  const first = contents.announcements.find(
    (x) => x.ms > after && x.ms < before && x.mac === query.backupMac.toLowerCase() && canonicalIp(x.address) === vip,
  );
  if (!first) return undefined;
  let last;
  for (const advert of contents.adverts) {
    if (advert.ms >= first.ms) break;
    if (canonicalIp(advert.source) === masterIp) last = advert;
  }
  if (!last) return undefined;
  const fromGoodbye = last.priority === 0;
  const wait = fromGoodbye
    ? skewTimeMs(query.version, query.backupPriority, query.intervalMs)
    : masterDownIntervalMs(query.version, query.backupPriority, query.intervalMs);
  return { announcedAt: first.ms, deadlineAt: last.ms + wait, fromGoodbye, overheadMs: first.ms - (last.ms + wait) };
}

/** takeoverTiming's overhead alone, or null. */
export function takeoverOverheadMs(contents: CaptureContents, query: TakeoverQuery): number | null {
  return takeoverTiming(contents, query)?.overheadMs ?? null;
}
