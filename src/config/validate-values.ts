/**
 * Small checks the validation modules share: ranges with messages that quote the value and say
 * what was expected, and the warning list.
 */
import { splitCommandLine } from './command-line.js';
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

/** Linux IFNAMSIZ - 1. */
const MAX_INTERFACE_NAME = 15;

export function checkInterfaceName(name: string, source: SourceLocation, key: string): void {
  if (name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
    throw new ConfigError(`"${name}" is not an interface name: at most ${MAX_INTERFACE_NAME} characters, no blanks, "/" or ":"`, source, key);
  }
}

/**
 * A command line (notify scripts and the like) must split into a program and arguments the way
 * the daemon will split it when it runs it; returns the words.
 */
export function checkCommandLine(field: Located<string>, key: string): string[] {
  let words: string[];
  try {
    words = splitCommandLine(field.value);
  } catch (err) {
    throw new ConfigError((err as Error).message, field.source, keyOf(field, key));
  }
  if (words.length === 0 || words[0] === '') throw new ConfigError(`Empty command line "${field.value}"`, field.source, keyOf(field, key));
  return words;
}

/** An absolute file system path. */
export function checkAbsolutePath(field: Located<string>, key: string, what: string): string {
  if (!field.value.startsWith('/') || field.value.includes('\0')) {
    throw new ConfigError(`${what} "${field.value}" is not an absolute path`, field.source, keyOf(field, key));
  }
  return field.value;
}

/** User and group names: what passwd and group files can hold (whether they exist is checked at start). */
export function checkAccountName(field: Located<string>, key: string, what: 'user' | 'group'): string {
  if (field.value === '' || /[\s:]/.test(field.value)) throw new ConfigError(`"${field.value}" is not a ${what} name`, field.source, keyOf(field, key));
  return field.value;
}

/** "an exec check", "a file check": the kind of a check with its article, for messages. */
export function kindPhrase(kind: string): string {
  return `${/^(?:[aeiou]|http)/.test(kind) ? 'an' : 'a'} ${kind} check`;
}
