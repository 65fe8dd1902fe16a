/**
 * Structured logs: one JSON object per line on stdout (machine-readable, as journald and log
 * shippers want), or a short human line when stdout is a terminal.
 */
import type { LogLevel, Logger } from './ports.js';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

export class LineLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly options: { minLevel: LogLevel; human: boolean; wallClock: () => Date },
    private readonly context: Record<string, unknown> = {},
  ) {}

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (LEVELS[level] < LEVELS[this.options.minLevel]) return;
    const time = this.options.wallClock().toISOString();
    const record = { time, level, msg: message, ...this.context, ...fields };
    if (!this.options.human) {
      this.sink.write(`${JSON.stringify(record)}\n`);
      return;
    }
    const extra = Object.entries({ ...this.context, ...fields })
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    this.sink.write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extra ? `  ${extra}` : ''}\n`);
  }

  child(fields: Record<string, unknown>): Logger {
    return new LineLogger(this.sink, this.options, { ...this.context, ...fields });
  }
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
