/**
 * Reading keyword arguments the way keepalived's read_* helpers do, but refusing what keepalived
 * would log and replace by a default: a wrong number here is a wrong failover later.
 */
import { ConfigError } from '../config-error.js';
import { located, type Located } from '../draft.js';
import type { SourceLocation } from '../model.js';
import { escapedWords, type Token } from './lexer.js';
import type { ConfNode } from './parser.js';

export interface Warn {
  (message: string, source: SourceLocation): void;
}

export function keywordOf(node: ConfNode): string {
  return node.keyword.text;
}

/** The first argument; a ConfigError when there is none. Extra words are warned about. */
export function singleArg(node: ConfNode, warn: Warn, what = 'a value'): Token {
  const [first, ...extra] = node.args;
  if (!first) throw new ConfigError(`Expected ${what} after "${keywordOf(node)}"`, node.source, keywordOf(node));
  if (extra.length > 0) warn(`Extra words after ${keywordOf(node)} ignored: ${extra.map((t) => t.text).join(' ')}`, node.source);
  return first;
}

export function noArgs(node: ConfNode, warn: Warn): void {
  if (node.args.length > 0) warn(`Extra words after ${keywordOf(node)} ignored: ${node.args.map((t) => t.text).join(' ')}`, node.source);
}

/** A statement that must not open a block. */
export function expectNoBlock(node: ConfNode): void {
  if (node.children) throw new ConfigError(`"${keywordOf(node)}" does not take a { } block`, node.source, keywordOf(node));
}

/** The statements of a block keyword ("virtual_ipaddress { ... }"). */
export function blockOf(node: ConfNode): ConfNode[] {
  if (!node.children) throw new ConfigError(`"${keywordOf(node)}" needs a { } block`, node.source, keywordOf(node));
  return node.children;
}

/** Every word of a block, one item per word, as keepalived's read_value_block gives them. */
export function blockWords(node: ConfNode): Token[] {
  return blockOf(node).flatMap((child) => {
    if (child.children) throw new ConfigError(`Unexpected { } block in "${keywordOf(node)}"`, child.source, keywordOf(node));
    return [child.keyword, ...child.args];
  });
}

export function readUnsigned(token: Token, key: string, max = 2 ** 32 - 1): Located<number> {
  if (!/^\d+$/.test(token.text) || Number(token.text) > max) {
    throw new ConfigError(`"${token.text}" is not a whole number 0..${max}`, token.source, key);
  }
  return located(Number(token.text), token.source, key);
}

export function readInteger(token: Token, key: string): Located<number> {
  if (!/^[+-]?\d+$/.test(token.text)) throw new ConfigError(`"${token.text}" is not a whole number`, token.source, key);
  return located(Number(token.text), token.source, key);
}

/** keepalived <TIMER>: decimal seconds ("0.92", "3") with microsecond resolution, in milliseconds. */
export function readSeconds(token: Token, key: string): Located<number> {
  if (!/^\d+(\.\d+)?$/.test(token.text)) throw new ConfigError(`"${token.text}" is not a number of seconds`, token.source, key);
  const ms = Math.round(Number(token.text) * 1_000_000) / 1000;
  return located(ms, token.source, key);
}

/** keepalived <BOOL>: on|off|true|false|yes|no; a missing value means true. */
export function readOptionalBool(node: ConfNode, warn: Warn): Located<boolean> {
  const key = keywordOf(node);
  if (node.args.length === 0) return located(true, node.source, key);
  const token = singleArg(node, warn);
  const text = token.text.toLowerCase();
  if (['on', 'true', 'yes'].includes(text)) return located(true, token.source, key);
  if (['off', 'false', 'no'].includes(text)) return located(false, token.source, key);
  throw new ConfigError(`"${token.text}" is not one of on, off, true, false, yes, no`, token.source, key);
}

export function readString(node: ConfNode, warn: Warn, what?: string): Located<string> {
  const token = singleArg(node, warn, what);
  return located(token.text, token.source, keywordOf(node));
}

/**
 * A script or notify command: the statement's arguments re-read the escaped way; the first word
 * is the command line, the rest (keepalived's optional user and group) returned separately.
 */
export function readCommand(node: ConfNode): { command: Located<string>; extra: string[] } {
  const first = node.args[0];
  const last = node.args[node.args.length - 1];
  if (!first || !last) throw new ConfigError(`Expected a command after "${keywordOf(node)}"`, node.source, keywordOf(node));
  const [command = '', ...extra] = escapedWords(first.line.slice(first.start, last.end), first.source);
  if (command.trim() === '') throw new ConfigError(`Empty command after "${keywordOf(node)}"`, first.source, keywordOf(node));
  return { command: located(command, first.source, keywordOf(node)), extra };
}
