/**
 * Strict reading of YAML nodes for the native format: every value knows its line, unknown keys
 * are errors naming the key path (with "did you mean"), and a wrong type says what was expected.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError } from '../config-error.js';
import { located, type Located } from '../draft.js';
import { parseDuration } from '../duration.js';
import type { ConfigWarning, SourceLocation } from '../model.js';
import { closestMatch } from '../suggest.js';

export class YamlReader {
  readonly warnings: ConfigWarning[] = [];

  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  sourceOf(node: Node | null | undefined, fallback?: SourceLocation): SourceLocation {
    const offset = node?.range?.[0];
    if (offset === undefined) return fallback ?? { file: this.file, line: 1 };
    return { file: this.file, line: this.lines.linePos(offset).line };
  }

  /** Aliases stand for their anchor's node. */
  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null) ?? null;
  }

  warn(message: string, source: SourceLocation): void {
    this.warnings.push({ message, source });
  }
}

/** A value in the tree together with its dotted path ("instances.web.vrid") and location. */
export interface Field {
  node: Node | null;
  path: string;
  source: SourceLocation;
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return 'null';
    if (typeof value === 'string') return `string "${value}"`;
    return `${typeof value} ${String(value)}`;
  }
  return 'an unsupported node';
}

export function typeError(field: Field, expected: string): ConfigError {
  return new ConfigError(`Expected ${expected}, got ${describe(field.node)}`, field.source, field.path);
}

function scalarValue(field: Field): unknown {
  return isScalar(field.node) ? field.node.value : undefined;
}

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The entries of a mapping, checked against `known` keys. An unknown key is an error with its
 * path and line, suggesting the nearest known key (or the native name of a keepalived keyword).
 */
export function readMap(reader: YamlReader, field: Field, known: readonly string[], hints: Readonly<Record<string, string>> = {}): Map<string, Field> {
  if (!isMap(field.node)) throw typeError(field, 'a mapping');
  const entries = new Map<string, Field>();
  for (const pair of (field.node as YAMLMap).items as Pair[]) {
    const keyNode = reader.resolve(pair.key);
    const keySource = reader.sourceOf(keyNode, field.source);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string') {
      throw new ConfigError(`Keys must be names, got ${describe(keyNode)}`, keySource, field.path || '(top level)');
    }
    const path = childPath(field.path, key);
    if (!known.includes(key)) {
      const hint = hints[key];
      const suggestion = hint ?? closestMatch(key, known);
      const known_ = known.join(', ');
      const advice = suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`;
      throw new ConfigError(`Unknown key "${key}"${advice}; known keys here: ${known_}`, keySource, path);
    }
    const valueNode = reader.resolve(pair.value);
    entries.set(key, { node: valueNode, path, source: reader.sourceOf(valueNode, keySource) });
  }
  return entries;
}

/** Items of a list. */
export function readList(reader: YamlReader, field: Field): Field[] {
  if (!isSeq(field.node)) throw typeError(field, 'a list');
  return field.node.items.map((item, i) => {
    const node = reader.resolve(item);
    return { node, path: childPath(field.path, i), source: reader.sourceOf(node, field.source) };
  });
}

export interface NamedEntry {
  name: string;
  body: Field;
  source: SourceLocation;
  /** List form: the body carries a "name" key, which the body's reader must accept. */
  hasNameKey: boolean;
}

/**
 * Named things written either as a mapping (name: settings) or as a list of settings with a
 * "name" key.
 */
export function readNamedCollection(reader: YamlReader, field: Field): NamedEntry[] {
  if (isMap(field.node)) {
    return [...readMapAnyKeys(reader, field)].map(([name, body]) => ({ name, body, source: body.source, hasNameKey: false }));
  }
  if (isSeq(field.node)) {
    return readList(reader, field).map((item) => {
      if (!isMap(item.node)) throw typeError(item, 'a mapping with a "name"');
      const nameNode = reader.resolve((item.node.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === 'name')?.value);
      if (nameNode === null) throw new ConfigError('Missing "name"', item.source, item.path);
      const nameField: Field = { node: nameNode, path: childPath(item.path, 'name'), source: reader.sourceOf(nameNode, item.source) };
      const name = readString(nameField).value;
      return { name, body: { ...item, path: childPath(field.path, name) }, source: item.source, hasNameKey: true };
    });
  }
  throw typeError(field, 'a mapping of names to settings, or a list of settings with "name"');
}

/** Mapping entries whatever their keys (names chosen by the user). */
function readMapAnyKeys(reader: YamlReader, field: Field): Map<string, Field> {
  const entries = new Map<string, Field>();
  for (const pair of (field.node as YAMLMap).items as Pair[]) {
    const keyNode = reader.resolve(pair.key);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    const keySource = reader.sourceOf(keyNode, field.source);
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw new ConfigError(`Names must be strings, got ${describe(keyNode)}`, keySource, field.path);
    }
    const name = String(key);
    const valueNode = reader.resolve(pair.value);
    entries.set(name, { node: valueNode, path: childPath(field.path, name), source: keySource });
  }
  return entries;
}

export function readString(field: Field): Located<string> {
  const value = scalarValue(field);
  if (typeof value !== 'string' || value === '') throw typeError(field, 'a non-empty string');
  return located(value, field.source, field.path);
}

/** A string, or a number taken as its text (`0`, `100`): values whose syntax the resolver checks. */
export function readText(field: Field): Located<string> {
  const value = scalarValue(field);
  if (typeof value === 'number' && Number.isFinite(value)) return located(String(value), field.source, field.path);
  if (typeof value !== 'string' || value === '') throw typeError(field, 'a non-empty string or a number');
  return located(value, field.source, field.path);
}

export function readInteger(field: Field): Located<number> {
  const value = scalarValue(field);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(field, 'an integer');
  return located(value, field.source, field.path);
}

export function readBoolean(field: Field): Located<boolean> {
  const value = scalarValue(field);
  if (typeof value !== 'boolean') throw typeError(field, 'true or false');
  return located(value, field.source, field.path);
}

/** A duration: a number of milliseconds, or a string with units ("100ms", "1.5s", "2m", "1m30s", "2h"). */
export function readDuration(field: Field): Located<number> {
  const value = scalarValue(field);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return located(value, field.source, field.path);
  if (typeof value === 'string') {
    const ms = parseDuration(value);
    if (ms !== undefined) return located(ms, field.source, field.path);
  }
  throw typeError(field, 'a duration such as "100ms", "1s", "2m", or a number of milliseconds');
}

/** One of a fixed set of words. */
export function readEnum<T extends string>(field: Field, allowed: readonly T[], caseInsensitive = false): Located<T> {
  const value = scalarValue(field);
  const match = typeof value === 'string' ? allowed.find((a) => (caseInsensitive ? a.toLowerCase() === value.toLowerCase() : a === value)) : undefined;
  if (match === undefined) throw typeError(field, `one of ${allowed.join(', ')}`);
  return located(match, field.source, field.path);
}

export function isStringNode(field: Field): boolean {
  return isScalar(field.node) && typeof field.node.value === 'string';
}

/** A VRRP version: 2 or 3. */
export function readVersion(field: Field): Located<2 | 3> {
  const value = scalarValue(field);
  if (value !== 2 && value !== 3) throw typeError(field, 'VRRP version 2 or 3');
  return located(value, field.source, field.path);
}
