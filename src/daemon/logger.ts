/**
 * Structured logs through pino: one JSON object per line on stdout (as journald and log shippers
 * want), or a short human line on a terminal (a small formatter of our own instead of pino-pretty).
 * Child loggers carry their context (instance, interface) into every line.
 */
import pino from 'pino';
import type { LogLevel, Logger } from './ports.js';

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  minLevel: LogLevel;
  /** Human-readable lines instead of JSON (default: when stdout is a terminal). */
  human?: boolean;
  /** Time stamps (tests pass a fixed clock). Default: now. */
  wallClock?: () => Date;
  /** Where lines go (default process.stdout). */
  sink?: LogSink;
}

class PinoLogger implements Logger {
  constructor(private readonly inner: pino.Logger) {}

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (fields === undefined) this.inner[level](message);
    else this.inner[level](fields, message);
  }

  child(fields: Record<string, unknown>): Logger {
    return new PinoLogger(this.inner.child(fields));
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const sink = options.sink ?? process.stdout;
  const human = options.human ?? process.stdout.isTTY === true;
  const wallClock = options.wallClock ?? (() => new Date());
  const destination: LogSink = human ? { write: (line) => sink.write(formatHuman(line)) } : sink;
  const inner = pino(
    {
      level: options.minLevel,
      // No pid / hostname in every line: journald and the shippers add them.
      base: null,
      timestamp: () => `,"time":"${wallClock().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return new PinoLogger(inner);
}

/**
 * The logger of earlier versions' signature, now backed by pino.
 * @deprecated use createLogger().
 */
export class LineLogger implements Logger {
  private readonly inner: Logger;

  constructor(sink: LogSink, options: { minLevel: LogLevel; human: boolean; wallClock: () => Date }) {
    this.inner = createLogger({ ...options, sink });
  }

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.inner.log(level, message, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return this.inner.child(fields);
  }
}

/** "2025-01-01T10:00:00.000Z WARN  message  key=value ..." from one pino JSON line. */
export function formatHuman(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...fields } = record;
  const extra = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) && value !== '' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${String(time)} ${String(level).toUpperCase().padEnd(5)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}\n`;
}

export interface RepeatLimitOptions {
  /** A message logged once is not logged again for this long (default 60 s). */
  intervalMs?: number;
  /** Levels that are limited (default warn only). */
  levels?: readonly LogLevel[];
  /** Monotonic ms (default performance.now()). */
  now?: () => number;
  /** Distinct messages remembered; the oldest are forgotten first (default 1,000). */
  maxKeys?: number;
}

interface RepeatState {
  loggedAt: number;
  suppressed: number;
}

/**
 * A logger that logs an identical message (same level, text, fields and context) at most once
 * per interval: repeats inside the interval are counted, and the next line logged after it says
 * how many were left out (`repeated: N`). For warnings that a flapping peer or a hostile packet
 * stream could otherwise repeat thousands of times a second. Children share the limits.
 */
export function limitRepeats(log: Logger, options: RepeatLimitOptions = {}): Logger {
  const state = new Map<string, RepeatState>();
  const settings = {
    intervalMs: options.intervalMs ?? 60_000,
    levels: new Set<LogLevel>(options.levels ?? ['warn']),
    now: options.now ?? (() => performance.now()),
    maxKeys: options.maxKeys ?? 1000,
  };
  return new RepeatLimitedLogger(log, state, settings, '');
}

class RepeatLimitedLogger implements Logger {
  constructor(
    private readonly inner: Logger,
    private readonly state: Map<string, RepeatState>,
    private readonly settings: { intervalMs: number; levels: Set<LogLevel>; now: () => number; maxKeys: number },
    private readonly contextKey: string,
  ) {}

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (!this.settings.levels.has(level)) {
      this.inner.log(level, message, fields);
      return;
    }
    const key = `${level}\u0000${this.contextKey}\u0000${message}\u0000${stableText(fields)}`;
    const now = this.settings.now();
    const seen = this.state.get(key);
    if (seen !== undefined && now - seen.loggedAt < this.settings.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    // Re-inserted so Map order is oldest-logged first, which is what gets forgotten.
    this.state.delete(key);
    this.state.set(key, { loggedAt: now, suppressed: 0 });
    if (this.state.size > this.settings.maxKeys) {
      const oldest = this.state.keys().next();
      if (!oldest.done) this.state.delete(oldest.value);
    }
    this.inner.log(level, message, suppressed > 0 ? { ...fields, repeated: suppressed } : fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new RepeatLimitedLogger(this.inner.child(fields), this.state, this.settings, `${this.contextKey}${stableText(fields)}`);
  }
}

function stableText(fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return '';
  try {
    return JSON.stringify(fields);
  } catch {
    return String(Object.keys(fields));
  }
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
