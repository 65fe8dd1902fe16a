/**
 * Reading a YAML mapping by its field table: the known keys and the "did you mean" hints come
 * from the table, each plain field is read by its value type, a section (garp) recursively, and
 * structures by the custom reader registered for their key.
 */
import type { FieldSpec } from '../fields/field.js';
import { isPlain, yamlHintsOf, yamlKeysOf } from '../fields/field.js';
import type { Located } from '../draft.js';
import { readBoolean, readDuration, readEnum, readInteger, readMap, readString, readText, readVersion, type Field, type YamlReader } from './nodes.js';

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
    case 'text':
      return readText(field);
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

/** The entries of a dotted group ("unicast.ttl") as a table of their own ("ttl"), and their custom readers. */
function group<D>(table: readonly FieldSpec[], head: string, custom: Readonly<Record<string, CustomReader<D>>>): [FieldSpec[], Record<string, CustomReader<D>>] {
  const prefix = `${head}.`;
  const fields = table.filter((f) => f.yaml?.startsWith(prefix)).map((f) => ({ ...f, yaml: (f.yaml as string).slice(prefix.length) }));
  const readers = Object.fromEntries(Object.entries(custom).filter(([key]) => key.startsWith(prefix)).map(([key, reader]) => [key.slice(prefix.length), reader]));
  return [fields, readers];
}

/**
 * Reads the mapping `field` into `draft` by `table`. A key with a custom reader is read by it; a
 * section into its own draft object; a dotted group ("unicast.source", "unicast.ttl") as a nested
 * mapping into the same draft, its custom readers keyed by the whole path ("unicast.peers").
 */
export function readFields<D extends object>(reader: YamlReader, field: Field, table: readonly FieldSpec[], draft: D, options: ReadOptions<D> = {}): void {
  const extra = options.extraKeys ?? [];
  const custom = options.custom ?? {};
  const target = draft as Record<string, unknown>;
  for (const [key, value] of readMap(reader, field, [...extra, ...yamlKeysOf(table)], yamlHintsOf(table))) {
    if (extra.includes(key)) continue;
    const read = custom[key];
    if (read) {
      read(reader, value, draft);
      continue;
    }
    const spec = table.find((f) => f.yaml === key);
    if (spec?.section) {
      const section: Record<string, unknown> = {};
      readFields(reader, value, spec.section, section);
      target[spec.name] = section;
    } else if (spec && isPlain(spec)) {
      target[spec.name] = readValue(spec, value);
    } else if (!spec) {
      const [fields, readers] = group(table, key, custom);
      readFields(reader, value, fields, draft, { custom: readers });
    } else {
      throw new Error(`No reader for the YAML key "${key}"`);
    }
  }
}
