/**
 * The validation every described field gets from its table entry: the range of its value type,
 * checked with a message that names the key and the line, and its default when the file is silent.
 * Rules between fields (keepalived's completion rules) stay in the validate-*.ts modules.
 */
import type { Located } from './draft.js';
import { fieldOf, type DraftOf, type FieldSpec, type ValuesOf } from './fields/field.js';
import { checkDuration, checkInteger } from './validate-values.js';

/** The value of `field` checked against its entry; `keyPrefix` makes the key ("global.garp.") for errors. */
export function checkField(spec: FieldSpec, field: Located<unknown>, keyPrefix = ''): unknown {
  const key = `${keyPrefix}${spec.yaml ?? spec.name}`;
  const what = spec.label ?? spec.name;
  const type = spec.type;
  if (type.kind === 'integer') return checkInteger(field as Located<number>, type.min, type.max, key, what);
  if (type.kind === 'duration') return checkDuration(field as Located<number>, type.minMs, type.maxMs, key, what);
  return field.value;
}

type Name<T extends readonly FieldSpec[]> = keyof DraftOf<T> & keyof ValuesOf<T> & string;

/** The checked value the draft set, else the table's default (undefined when it has none). */
export function optionalFieldValue<T extends readonly FieldSpec[], N extends Name<T>>(
  table: T,
  name: N,
  draft: DraftOf<T>,
  keyPrefix = '',
): ValuesOf<T>[N] | undefined {
  const spec = fieldOf(table, name);
  const field = draft[name] as Located<unknown> | undefined;
  if (field) return checkField(spec, field, keyPrefix) as ValuesOf<T>[N];
  return spec.default as ValuesOf<T>[N] | undefined;
}

/** The checked value the draft set, else the table's default; for fields that have one. */
export function fieldValue<T extends readonly FieldSpec[], N extends Name<T>>(table: T, name: N, draft: DraftOf<T>, keyPrefix = ''): ValuesOf<T>[N] {
  const value = optionalFieldValue(table, name, draft, keyPrefix);
  if (value === undefined) throw new Error(`Field "${name}" has no default`);
  return value;
}
