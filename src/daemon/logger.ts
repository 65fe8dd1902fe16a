/**
 * Structured logs: one JSON object per line on stdout (as journald and log shippers want), or a
 * short human line on a terminal. Child loggers carry their context (instance, interface) into
 * every line. Our own few lines instead of pino: the daemon logs a handful of lines a minute,
 * and pino's 29 modules cost about 7 MB of resident memory (docs/benchmarks.md, row 5).
 */
import type { LogLevel, Logger } from '../ports/index.js';

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

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

interface LineSettings {
  minRank: number;
  wallClock: () => Date;
  write: (line: string) => void;
}

/** Errors as {type, message, stack} (JSON.stringify makes them {}); bigints as text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** `"a":1,"b":2` — an object's members without the braces, or '' for none. */
function members(fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return '';
  let text: string;
  try {
    text = JSON.stringify(fields, jsonValue) ?? '{}';
  } catch (err) {
    // A circular structure must not cost the line itself.
    text = JSON.stringify({ unloggableFields: err instanceof Error ? err.message : String(err) });
  }
  return text.length > 2 ? text.slice(1, -1) : '';
}

class JsonLineLogger implements Logger {
  constructor(
    private readonly settings: LineSettings,
    /** The context of this logger and its parents, pre-serialised. */
    private readonly context: string,
  ) {}

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LEVEL_RANK[level] < this.settings.minRank) return;
    const parts = [`"level":"${level}"`, `"time":"${this.settings.wallClock().toISOString()}"`, this.context, members(fields), `"msg":${JSON.stringify(String(message))}`];
    this.settings.write(`{${parts.filter((p) => p !== '').join(',')}}\n`);
  }

  child(fields: Record<string, unknown>): Logger {
    const more = members(fields);
    return new JsonLineLogger(this.settings, this.context === '' ? more : more === '' ? this.context : `${this.context},${more}`);
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const sink = options.sink ?? process.stdout;
  const human = options.human ?? process.stdout.isTTY === true;
  const settings: LineSettings = {
    minRank: LEVEL_RANK[options.minLevel],
    wallClock: options.wallClock ?? (() => new Date()),
    // No pid / hostname in every line: journald and the shippers add them.
    write: human ? (line) => sink.write(formatHuman(line)) : (line) => sink.write(line),
  };
  return new JsonLineLogger(settings, '');
}

/**
 * The logger of earlier versions' signature.
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

/** "2025-01-01T10:00:00.000Z WARN  message  key=value ..." from one JSON line. */
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
