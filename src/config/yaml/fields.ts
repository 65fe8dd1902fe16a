/**
 * Reading a YAML mapping by its field table: the known keys and the "did you mean" hints come
 * from the table, each plain field is read by its value type, a section (garp) recursively, and
 * structures by the custom reader registered for their key.
 */
import type { FieldSpec } from '../fields/field.js';
import { isPlain, yamlHintsOf, yamlKeysOf } from '../fields/field.js';
import type { Located } from '../draft.js';
import { readBoolean, readDuration, readEnum, readInteger, readMap, readString, readVersion, type Field, type YamlReader } from './nodes.js';

export type CustomReader<D> = (reader: YamlReader, field: Field, draft: D) => void;

export function readValue(spec: FieldSpec, field: Field): Located<unknown> {
  const type = spec.type;
  switch (type.kind) {
    case 'integer':
      return readInteger(field);
    case 'duration':
      return readDuration(field);
    case 'boolean':
      return readBoolean(field);
    case 'string':
      return readString(field);
    case 'version':
      return readVersion(field);
    case 'enum':
      return readEnum(field, type.values, true);
    case 'custom':
      throw new Error(`Field "${spec.name}" needs a custom reader`);
  }
}

export interface ReadOptions<D> {
  /** Readers of the keys whose fields are structures (vips, track, ...). */
  custom?: Readonly<Record<string, CustomReader<D>>>;
  /** Keys the mapping may hold that are not fields (the "name" of a list entry); skipped. */
  extraKeys?: readonly string[];
}

/** Reads the mapping `field` into `draft` by `table`. */
export function readFields<D extends object>(reader: YamlReader, field: Field, table: readonly FieldSpec[], draft: D, options: ReadOptions<D> = {}): void {
  const extra = options.extraKeys ?? [];
  const target = draft as Record<string, unknown>;
  for (const [key, value] of readMap(reader, field, [...extra, ...yamlKeysOf(table)], yamlHintsOf(table))) {
    if (extra.includes(key)) continue;
    const custom = options.custom?.[key];
    if (custom) {
      custom(reader, value, draft);
      continue;
    }
    const spec = table.find((f) => f.yaml === key);
    if (spec?.section) {
      const section: Record<string, unknown> = {};
      readFields(reader, value, spec.section, section);
      target[spec.name] = section;
    } else if (spec && isPlain(spec)) {
      target[spec.name] = readValue(spec, value);
    } else {
      throw new Error(`No reader for the YAML key "${key}"`);
    }
  }
}
