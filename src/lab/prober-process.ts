/**
 * The gap prober's own process, started inside the client's namespace: sends ICMP echo requests
 * on a raw socket at a steady interval and records send and reply times with sub-millisecond
 * clocks (iputils ping at -i 0.01 really sends every ~16 ms here, and only prints replies).
 *
 * Talks JSON lines: prints {"event":"ready"}, then {"event":"first-reply"}; on "status T [FROM TO]"
 * from stdin it prints {"event":"status",…} (counts so far, the latest reply, the first at or after
 * epoch ms T, and the requests sent in [FROM, TO) and how many of them are unanswered); on "stop"
 * it stops sending, waits up to drainMs for outstanding replies and prints {"event":"report",…}.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadNative, type NativeSocket } from '../net/native.js';
import { decodeEchoReply, encodeEchoRequest } from './icmp-echo.js';
import { buildProbeReport, type ProbeRecord } from './probe-report.js';
import { sockaddrIn, sockaddrIn6 } from './sockaddr.js';

export interface ProberConfig {
  target: string;
  family: 4 | 6;
  intervalMs: number;
  /** How long to wait for replies still on their way after stop; default 1000 ms. */
  drainMs?: number;
  /** Interface for the scope of a link-local IPv6 target. */
  scopeInterface?: string;
}

/** The prober's running counts, for a test that watches the client while it probes. */
export interface ProberStatus {
  sent: number;
  received: number;
  /** Epoch ms of the latest reply, or null before any. */
  lastReplyAt: number | null;
  /** Epoch ms of the first reply received at or after the time asked about, or null when none yet. */
  firstReplyAtOrAfter: number | null;
  /** Requests sent within the window asked about, and how many of them have no reply (yet). */
  window: { sent: number; unanswered: number } | null;
}

export type ProberEvent =
  | { event: 'ready' }
  | ({ event: 'status' } & ProberStatus)
  | { event: 'first-reply'; seq: number }
  | { event: 'report'; report: ReturnType<typeof buildProbeReport> };

function now(): number {
  return performance.timeOrigin + performance.now();
}

function emit(event: ProberEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/**
 * The earliest reply received at or after `since` (epoch ms). Replies follow their requests within
 * seconds, so only requests sent in the last minute before `since` or later are looked at.
 */
export function firstReplyAtOrAfter(records: readonly ProbeRecord[], since: number): number | null {
  if (!Number.isFinite(since)) return null;
  let first: number | null = null;
  for (let seq = records.length - 1; seq >= 0; seq--) {
    const record = records[seq] as ProbeRecord;
    if (record.sentAt < since - 60_000) break;
    if (record.repliedAt !== undefined && record.repliedAt >= since && (first === null || record.repliedAt < first)) first = record.repliedAt;
  }
  return first;
}

/** Requests sent in [from, to) (epoch ms) and how many of them have no reply. */
export function sentWithin(records: readonly ProbeRecord[], from: number, to: number): { sent: number; unanswered: number } {
  let sent = 0;
  let unanswered = 0;
  for (let seq = records.length - 1; seq >= 0; seq--) {
    const record = records[seq] as ProbeRecord;
    if (record.sentAt < from) break;
    if (record.sentAt >= to) continue;
    sent++;
    if (record.repliedAt === undefined) unanswered++;
  }
  return { sent, unanswered };
}

export async function runProber(config: ProberConfig): Promise<void> {
  const native = loadNative();
  const c = native.constants;
  const family = config.family;
  const socket: NativeSocket =
    family === 4
      ? new native.Socket(c.AF_INET as number, c.SOCK_RAW as number, c.IPPROTO_ICMP as number)
      : new native.Socket(c.AF_INET6 as number, c.SOCK_RAW as number, c.IPPROTO_ICMPV6 as number);
  const scope = config.scopeInterface ? native.ifNameToIndex(config.scopeInterface) : 0;
  const destination =
    family === 4 ? sockaddrIn(c.AF_INET as number, config.target) : sockaddrIn6(c.AF_INET6 as number, config.target, scope);
  const identifier = process.pid & 0xffff;
  const records: ProbeRecord[] = [];
  let duplicates = 0;
  let answeredAny = false;
  let received = 0;
  let lastReplyAt: number | null = null;

  socket.startReceiving(
    (batch) => {
      const at = now();
      for (const message of batch) {
        const reply = decodeEchoReply(family, message.data);
        if (!reply || reply.identifier !== identifier || records.length === 0) continue;
        // Sequence numbers are 16 bits on the wire: map back to the latest request with those bits.
        const last = records.length - 1;
        const seq = last - ((last - reply.sequence) & 0xffff);
        const record = records[seq];
        if (!record) continue;
        if (record.repliedAt !== undefined) {
          duplicates++;
          continue;
        }
        record.repliedAt = at;
        received++;
        lastReplyAt = at;
        if (!answeredAny) {
          answeredAny = true;
          emit({ event: 'first-reply', seq });
        }
      }
    },
    (error) => process.stderr.write(`receive error: ${error.message}\n`),
  );

  const startedAt = now();
  let timer: NodeJS.Timeout | undefined;
  const sendNext = (): void => {
    const seq = records.length;
    records.push({ sentAt: now() });
    try {
      socket.sendTo(encodeEchoRequest(family, identifier, seq), destination);
    } catch {
      /* unreachable for now: the request simply goes unanswered, as a lost one would */
    }
    // Schedule against the start time so the interval does not drift; skip slots missed while busy.
    const nextSlot = Math.max(seq + 1, Math.floor((now() - startedAt) / config.intervalMs) + 1);
    timer = setTimeout(sendNext, Math.max(0, startedAt + nextSlot * config.intervalMs - now()));
  };
  emit({ event: 'ready' });
  sendNext();

  await new Promise<void>((resolve) => {
    const input = createInterface({ input: process.stdin });
    input.on('line', (line) => {
      const [command, since, from, to] = line.trim().split(/\s+/);
      if (command === 'stop') resolve();
      else if (command === 'status') {
        const window = from === undefined || to === undefined ? null : sentWithin(records, Number(from), Number(to));
        emit({ event: 'status', sent: records.length, received, lastReplyAt, firstReplyAtOrAfter: firstReplyAtOrAfter(records, Number(since)), window });
      }
    });
    // The parent went away: nobody wants the report.
    input.on('close', () => resolve());
  });
  clearTimeout(timer);
  const stoppedAt = now();
  const drainUntil = stoppedAt + (config.drainMs ?? 1000);
  while (now() < drainUntil && records.some((record) => record.repliedAt === undefined && record.sentAt > stoppedAt - 5000)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // A process that was stalled past the deadline wakes in the timers phase, before the poll phase
  // reads the replies queued meanwhile: give the socket one more turn so they are not counted lost.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  socket.stopReceiving();
  socket.close();
  emit({ event: 'report', report: buildProbeReport(records, stoppedAt, duplicates) });
  process.stdin.destroy();
}
