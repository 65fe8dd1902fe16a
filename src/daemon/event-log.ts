/**
 * The daemon's event log: transitions, hook results, check changes and reloads, kept in a bounded
 * ring so a long-running daemon's memory stays flat. Clients poll with `since(seq)` or subscribe.
 */
import type { EventRecord } from '../api/daemon-control.js';
import type { Logger } from '../ports/index.js';

/** What a producer supplies; the log stamps seq and time. */
export type EventInput = Omit<EventRecord, 'seq' | 'time'>;

export type EventListener = (event: EventRecord) => void;

export interface EventLogOptions {
  /** Wall-clock time for the ISO timestamps (never used for ordering: seq orders). */
  wallClock: () => Date;
  /** Records kept; older ones are dropped first. Default 1,000. */
  capacity?: number;
  /** Where a throwing listener is reported; it never reaches the producer. */
  log?: Logger;
}

export const DEFAULT_EVENT_CAPACITY = 1000;

export class EventLog {
  private readonly ring: EventRecord[] = [];
  /** Index in `ring` of the oldest record once the ring is full. */
  private head = 0;
  private nextSeq = 1;
  private readonly listeners = new Set<EventListener>();
  readonly capacity: number;

  constructor(private readonly options: EventLogOptions) {
    const capacity = options.capacity ?? DEFAULT_EVENT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Event log capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.capacity = capacity;
  }

  /** Seq of the newest record (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Records currently kept. */
  get size(): number {
    return this.ring.length;
  }

  append(input: EventInput): EventRecord {
    const record: EventRecord = Object.freeze({
      seq: this.nextSeq++,
      time: this.options.wallClock().toISOString(),
      type: input.type,
      ...(input.instance !== undefined ? { instance: input.instance } : {}),
      message: input.message,
      ...(input.fields !== undefined ? { fields: Object.freeze({ ...input.fields }) } : {}),
    });
    if (this.ring.length < this.capacity) {
      this.ring.push(record);
    } else {
      this.ring[this.head] = record;
      this.head = (this.head + 1) % this.capacity;
    }
    // A snapshot: a listener may unsubscribe (or subscribe another) while we deliver.
    for (const listener of [...this.listeners]) {
      try {
        listener(record);
      } catch (err) {
        this.options.log?.log('warn', 'event listener threw', { error: String(err), seq: record.seq });
      }
    }
    return record;
  }

  /** Kept records with seq > `since`, oldest first; all kept ones when `since` is omitted. */
  since(since = 0): EventRecord[] {
    if (Number.isNaN(since)) throw new RangeError(`Event sequence number must be a number, got ${String(since)}`);
    const count = this.ring.length;
    if (count === 0) return [];
    const firstSeq = this.nextSeq - count;
    const skip = Math.max(0, Math.min(count, Math.floor(since) - firstSeq + 1));
    const out: EventRecord[] = [];
    for (let i = skip; i < count; i++) {
      out.push(this.ring[(this.head + i) % count] as EventRecord);
    }
    return out;
  }

  /** Calls `listener` for every record appended from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry: EventListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }
}
