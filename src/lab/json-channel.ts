/**
 * Request and answer over a helper process's stdin/stdout as JSON lines, answers in order.
 * Used to steer the relay and the prober while they run.
 */
import type { LabProcess } from './lab-process.js';

export interface JsonEvent {
  event: string;
  [key: string]: unknown;
}

export class JsonChannel {
  private readonly events: JsonEvent[] = [];
  private readonly waiters: { event: string; resolve: (value: JsonEvent) => void }[] = [];

  constructor(private readonly process: LabProcess) {
    process.onLine((line, stream) => {
      if (stream !== 'stdout' || !line.startsWith('{')) return;
      let parsed: JsonEvent;
      try {
        parsed = JSON.parse(line) as JsonEvent;
      } catch {
        return; // not one of ours; it is in the log anyway
      }
      const index = this.waiters.findIndex((waiter) => waiter.event === parsed.event);
      if (index >= 0) this.waiters.splice(index, 1)[0]?.resolve(parsed);
      else this.events.push(parsed);
    });
  }

  /** The next event of this name (one that already came, or the next to come). */
  next(event: string, timeoutMs = 10_000): Promise<JsonEvent> {
    const index = this.events.findIndex((queued) => queued.event === event);
    if (index >= 0) return Promise.resolve(this.events.splice(index, 1)[0] as JsonEvent);
    return new Promise((resolve, reject) => {
      const waiter = {
        event,
        resolve: (value: JsonEvent) => {
          clearTimeout(timer);
          resolve(value);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`Process '${this.process.name}' sent no '${event}' within ${timeoutMs} ms (log: ${this.process.logPath})`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.process.exited.then((exit) => {
        if (!this.waiters.includes(waiter)) return;
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`Process '${this.process.name}' exited (code ${exit.code}, signal ${exit.signal}) before sending '${event}' (log: ${this.process.logPath})`));
      });
    });
  }

  send(message: unknown): void {
    this.process.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  }

  async request(message: unknown, answer: string, timeoutMs?: number): Promise<JsonEvent> {
    const reply = this.next(answer, timeoutMs);
    this.send(message);
    return reply;
  }
}
