/**
 * GET /v1/events/stream: server-sent events (the WHATWG EventSource format). Replays the kept
 * events after Last-Event-ID (a reconnecting client) or ?since, then follows new ones; comment
 * lines keep idle connections (and proxies) from timing out. Every stream is unsubscribed and
 * its timer cleared when the client goes away or the API closes.
 *
 * Event ids are "<boot>.<seq>": sequence numbers start again at 1 when the daemon restarts, and a
 * client reconnecting with an id from the previous daemon must get everything, not wait for the
 * new numbers to catch up with its old one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DaemonControl, EventRecord } from './daemon-control.js';
import type { StatusSource } from './control-api.js';
import { HttpError } from './http.js';

export interface EventStreamOptions {
  /** Gap between heartbeat comments (default 15 s). */
  heartbeatMs?: number;
  /**
   * A client that reads slower than events come is dropped once this much is queued for it
   * (default 1 MiB); it reconnects with Last-Event-ID and loses nothing still kept.
   */
  maxBufferedBytes?: number;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** Reads a sequence number from a query or header; undefined when absent. */
export function parseSeq(text: string | null | undefined, what: string): number | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text.trim())) throw new HttpError(400, `${what} must be a non-negative integer, got "${text}"`);
  return Number(text.trim());
}

export function formatSseEvent(event: EventRecord, boot: string): string {
  // JSON.stringify never emits a raw newline, so the data fits on one "data:" line.
  return `id: ${boot}.${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Identifies one run of the daemon: its pid and start time. */
export function bootId(status: { pid: number; startedAt: string }): string {
  return `${status.pid.toString(36)}${(Date.parse(status.startedAt) || 0).toString(36)}`;
}

/**
 * The sequence number to resume after: that of an id of this run ("<boot>.<seq>", or a bare
 * number), 0 for an id of an earlier run. Throws HttpError 400 for anything else.
 */
export function resumeAfter(lastEventId: string, boot: string): number {
  const match = /^(?:([0-9a-z]+)\.)?(\d{1,15})$/.exec(lastEventId.trim());
  if (match === null) throw new HttpError(400, `Last-Event-ID must be an id this API sent, got "${lastEventId}"`);
  if (match[1] !== undefined && match[1] !== boot) return 0;
  return Number(match[2]);
}

export class EventStreams {
  private readonly open = new Set<() => void>();
  private boot: string | undefined;

  constructor(
    private readonly control: Pick<DaemonControl, 'events' | 'subscribe'> & StatusSource,
    private readonly options: EventStreamOptions = {},
  ) {}

  /** Streams currently open. */
  get size(): number {
    return this.open.size;
  }

  serve(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const boot = (this.boot ??= bootId(this.control.status()));
    const lastEventId = req.headers['last-event-id'];
    const since =
      typeof lastEventId === 'string' && lastEventId !== ''
        ? resumeAfter(lastEventId, boot)
        : (parseSeq(url.searchParams.get('since'), 'since') ?? 0);
    const maxBuffered = this.options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': hotstandby events\n\n');

    let lastSent = since;
    let closed = false;
    const send = (event: EventRecord): void => {
      if (closed || event.seq <= lastSent) return;
      lastSent = event.seq;
      res.write(formatSseEvent(event, boot));
      if (res.writableLength > maxBuffered) close();
    };
    // Subscribing and replaying in the same tick: no event can fall between the two, and `send`
    // drops any the replay already covered.
    const unsubscribe = this.control.subscribe(send);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    heartbeat.unref();
    const close = (): void => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      this.open.delete(close);
      if (!res.writableEnded) res.end();
    };
    this.open.add(close);
    // The response's close (not the request's, which fires once the request is read) means the
    // client went away.
    res.on('close', close);
    res.on('error', close);
    for (const event of this.control.events(since)) send(event);
  }

  /** Ends every open stream (the daemon is stopping). */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}
