/**
 * The YAML `checks:` section. Every check has a `type` (exec, http, tcp, process, file,
 * interface), the scheduling keys all kinds share, and the keys of its kind.
 */
import { isSeq } from 'yaml';
import type { CheckKind } from '../check-model.js';
import { splitCommandLine } from '../command-line.js';
import { ConfigError } from '../config-error.js';
import { located, type CheckDraft, type Located } from '../draft.js';
import { CHECK_COMMON_FIELDS, CHECK_KIND_FIELDS } from '../fields/check.js';
import { yamlHintsOf, yamlKeysOf, type FieldSpec } from '../fields/field.js';
import { parseStatusRanges } from '../http-status.js';
import { readValue } from './fields.js';
import { childPath, isStringNode, readInteger, readList, readMap, readString, typeError, type Field, type NamedEntry, type YamlReader } from './nodes.js';

const COMMON_KEYS = yamlKeysOf(CHECK_COMMON_FIELDS);

export function readCommand(reader: YamlReader, field: Field): string[] {
  if (isStringNode(field)) {
    const text = readString(field).value;
    try {
      return splitCommandLine(text);
    } catch (err) {
      throw new ConfigError((err as Error).message, field.source, field.path);
    }
  }
  const words = readList(reader, field).map((item) => readString(item).value);
  if (words.length === 0) throw new ConfigError('Expected a command, got an empty list', field.source, field.path);
  return words;
}

const STATUS_EXPECTED = 'an HTTP status (200), a range ("200-299", "2xx") or a list of them';

/** expectStatus: 200, "200-299", "2xx", "200, 301", or a list of those. */
function readExpectStatus(reader: YamlReader, field: Field): Located<Array<[number, number]>> {
  const items = isSeq(field.node) ? readList(reader, field) : [field];
  const ranges: Array<[number, number]> = [];
  for (const item of items) {
    if (isStringNode(item)) {
      const parsed = parseStatusRanges(readString(item).value);
      if (!parsed) throw typeError(item, STATUS_EXPECTED);
      ranges.push(...parsed);
    } else {
      let status: number;
      try {
        status = readInteger(item).value;
      } catch {
        throw typeError(item, STATUS_EXPECTED);
      }
      ranges.push([status, status]);
    }
  }
  return located(ranges, field.source, field.path);
}

/** Readers of the keys whose values are structures; the rest are read by their table entry. */
const CUSTOM: Readonly<Record<string, (reader: YamlReader, field: Field) => Located<unknown>>> = {
  command: (reader, field) => located(readCommand(reader, field), field.source, field.path),
  expectStatus: readExpectStatus,
};

/** The fields of `table` among `fields` into `draft`. */
function readKnown(reader: YamlReader, table: readonly FieldSpec[], fields: ReadonlyMap<string, Field>, draft: object): void {
  for (const spec of table) {
    const field = spec.yaml === undefined ? undefined : fields.get(spec.yaml);
    if (!field) continue;
    const custom = CUSTOM[spec.yaml as string];
    (draft as Record<string, unknown>)[spec.name] = custom ? custom(reader, field) : readValue(spec, field);
  }
}

/** keepalived keywords and likely slips -> the native key. */
const HINTS = Object.assign({}, ...[CHECK_COMMON_FIELDS, ...Object.values(CHECK_KIND_FIELDS)].map(yamlHintsOf)) as Record<string, string>;

export function readCheck(reader: YamlReader, entry: NamedEntry): CheckDraft {
  const kindKeys = Object.values(CHECK_KIND_FIELDS).flatMap(yamlKeysOf);
  const allKeys = new Set<string>(['type', ...COMMON_KEYS, ...kindKeys]);
  if (entry.hasNameKey) allKeys.add('name');
  // First pass: any key some kind knows, so the type can be read before kind-specific checking.
  const fields = readMap(reader, entry.body, [...allKeys], HINTS);
  const typeField = fields.get('type');
  const known = Object.keys(CHECK_KIND_FIELDS).join(', ');
  if (!typeField) throw new ConfigError(`Missing "type" (known types: ${known})`, entry.source, entry.body.path);
  const type = readString(typeField);
  if (!Object.hasOwn(CHECK_KIND_FIELDS, type.value)) throw new ConfigError(`Unknown check type "${type.value}": known types are ${known}`, type.source, typeField.path);
  const kind = type.value as CheckKind;
  const ownKeys = yamlKeysOf(CHECK_KIND_FIELDS[kind]);
  for (const [key, value] of fields) {
    if (key === 'type' || key === 'name' || COMMON_KEYS.includes(key) || ownKeys.includes(key)) continue;
    throw new ConfigError(`Key "${key}" does not apply to checks of type "${type.value}" (their keys: ${[...ownKeys, ...COMMON_KEYS].join(', ')})`, value.source, value.path);
  }
  const draft = { kind, name: entry.name, source: entry.source, keyFor: (key: string) => childPath(entry.body.path, key) } as CheckDraft;
  readKnown(reader, CHECK_COMMON_FIELDS, fields, draft);
  readKnown(reader, CHECK_KIND_FIELDS[kind], fields, draft);
  return draft;
}
