/**
 * Small checks the validation modules share: ranges with messages that quote the value and say
 * what was expected, and the warning list.
 */
import { ConfigError } from './config-error.js';
import { keyOf, type Located } from './draft.js';
import type { ConfigWarning, SourceLocation } from './model.js';

export class WarningList {
  readonly items: ConfigWarning[] = [];

  add(message: string, source: SourceLocation): void {
    this.items.push({ message, source });
  }
}

/** The integer value, or a ConfigError naming where it was set when it is outside min..max. */
export function checkInteger(field: Located<number>, min: number, max: number, key: string, what: string): number {
  const { value, source } = field;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${what} ${JSON.stringify(value)} is out of range: expected an integer ${min}..${max}`, source, keyOf(field, key));
  }
  return value;
}

/** A duration in milliseconds within min..max (inclusive). */
export function checkDuration(field: Located<number>, minMs: number, maxMs: number, key: string, what: string): number {
  const { value, source } = field;
  if (!Number.isFinite(value) || value < minMs || value > maxMs) {
    throw new ConfigError(`${what} ${value} ms is out of range: expected ${minMs}..${maxMs} ms`, source, keyOf(field, key));
  }
  return value;
}

export function sourceText(source: SourceLocation): string {
  return `${source.file}:${source.line}`;
}
