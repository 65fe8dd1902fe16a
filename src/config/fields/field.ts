/**
 * The shape of a field description. Each configuration field is described once, in the table of
 * its scope (global.ts, instance.ts, garp.ts, check.ts); the YAML and keepalived.conf readers,
 * the range checks and defaults of the validation, the drafts' TypeScript types and the reference
 * tables of docs/config.md all follow from that one entry. See src/config/README.md.
 */
import type { Located } from '../draft.js';

/** What the value is, which decides how it is read, checked and typed. */
export type ValueType =
  /** A whole number in min..max; `label` names it in range errors ("Priority 300 is out of range"). */
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  /** Milliseconds in minMs..maxMs (YAML "1.5s"; keepalived seconds). */
  | { readonly kind: 'duration'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string' }
  /** A string, or a bare number kept as its text (YAML `maxUnused: 0` as well as `maxUnused: 5%`). */
  | { readonly kind: 'text' }
  /** A VRRP version, 2 or 3. */
  | { readonly kind: 'version' }
  /** One of a few words (YAML: any case). */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /**
   * A structure (a list of addresses, a mapping of commands) read and resolved by hand-written
   * code named in the front ends' custom readers; `text` describes it in the docs.
   */
  | { readonly kind: 'custom'; readonly text: string };

/** How keepalived writes the argument of a keyword (its read_* helpers). */
export type KeywordRead =
  /** A whole number 0..2^32-1. */
  | 'unsigned'
  /** A whole number with an optional sign ("-10"); the field's type gives the range. */
  | 'integer'
  /** Decimal seconds ("0.5"), to milliseconds. */
  | 'seconds'
  /** Whole seconds, to milliseconds. */
  | 'whole-seconds'
  /** [on|off|true|false|yes|no]; nothing means on. */
  | 'optional-bool'
  /** No argument: the keyword alone sets true ("preempt") or false ("nopreempt"). */
  | 'flag-true'
  | 'flag-false'
  /** One word. */
  | 'word'
  /** "2" or "3". */
  | 'version'
  /** A handler of its own in the front end (blocks, several words, interplay with other keywords). */
  | 'custom';

export interface KeywordSpec {
  readonly word: string;
  readonly read: KeywordRead;
  /** For the keyword table of the docs, when the field's own text does not say it. */
  readonly note?: string;
}

export interface FieldSpec {
  /** The property in the draft and the model (InstanceConfig.advertIntervalMs). */
  readonly name: string;
  /**
   * The key in the YAML section ("advertInterval"); dotted for a key of a nested mapping
   * ("unicast.ttl"), which a custom reader of the first part ("unicast") reads. None: keepalived only.
   */
  readonly yaml?: string;
  /** How the YAML key is shown in the docs when it is not just `yaml` ("notify.master / backup"). */
  readonly yamlDoc?: string;
  /** More names that hint at this YAML key in an "Unknown key" error (the keepalived words always do). */
  readonly yamlHints?: readonly string[];
  /** The keepalived.conf keywords that set it. */
  readonly keepalived?: readonly KeywordSpec[];
  readonly type: ValueType;
  /** The field in messages: "Virtual router id" 300 is out of range. */
  readonly label?: string;
  /** The value when the file sets nothing; applied by resolveField(). */
  readonly default?: number | boolean | string;
  /** The default as the docs say it, when it is computed ("the interval", "required"). */
  readonly defaultDoc?: string;
  /** The type as the docs say it, when the value type alone does not ("IPv4 multicast address"). */
  readonly typeDoc?: string;
  /** One or two sentences for the docs. */
  readonly doc: string;
  /** A nested group of fields with a draft object of its own (garp). */
  readonly section?: readonly FieldSpec[];
}

/** The TypeScript type of a value type. */
export type ValueOf<T extends ValueType> = T extends { kind: 'integer' | 'duration' }
  ? number
  : T extends { kind: 'boolean' }
    ? boolean
    : T extends { kind: 'string' | 'text' }
      ? string
      : T extends { kind: 'version' }
        ? 2 | 3
        : T extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : never;

type PlainField<F> = F extends { section: readonly FieldSpec[] } ? never : F extends { type: { kind: 'custom' } } ? never : F;

/**
 * The draft of a table: every plain (not custom, not section) field as an optional
 * Located value. Custom fields and sections are declared by hand next to it (draft.ts).
 */
export type DraftOf<T extends readonly FieldSpec[]> = {
  [F in T[number] as PlainField<F> extends never ? never : F['name']]?: Located<ValueOf<F['type']>>;
};

/** The resolved values of a table's plain fields, for checking the model against the table. */
export type ValuesOf<T extends readonly FieldSpec[]> = {
  [F in T[number] as PlainField<F> extends never ? never : F['name']]: ValueOf<F['type']>;
};

export function isPlain(spec: FieldSpec): boolean {
  return spec.section === undefined && spec.type.kind !== 'custom';
}

/** The field named `name` of a table; a programming error when there is none. */
export function fieldOf(table: readonly FieldSpec[], name: string): FieldSpec {
  const spec = table.find((f) => f.name === name && f.section === undefined);
  if (!spec) throw new Error(`No field "${name}" in the table`);
  return spec;
}

/** The section field `name` (garp) of a table. */
export function sectionOf(table: readonly FieldSpec[], name: string): readonly FieldSpec[] {
  const section = table.find((f) => f.name === name)?.section;
  if (!section) throw new Error(`No section "${name}" in the table`);
  return section;
}

/**
 * The global_defs twin of an instance field: keepalived spells the global default of an instance
 * keyword with a vrrp_ prefix (garp_master_delay -> vrrp_garp_master_delay), and the instance
 * keyword hints at the global key too. `defaultValue` is the global default.
 */
export function globalTwin(spec: FieldSpec, defaultValue: number | boolean | string | undefined): FieldSpec {
  const words = (spec.keepalived ?? []).map((k) => k.word);
  return {
    ...spec,
    keepalived: (spec.keepalived ?? []).map((k) => ({ ...k, word: `vrrp_${k.word}` })),
    yamlHints: [...(spec.yamlHints ?? []), ...words],
    default: defaultValue,
    defaultDoc: undefined,
  };
}

/** The first part of a YAML key: what the section's mapping holds. */
export function yamlHead(spec: FieldSpec): string | undefined {
  return spec.yaml?.split('.')[0];
}

/** The keys a YAML mapping of this table may hold, in table order. */
export function yamlKeysOf(table: readonly FieldSpec[]): string[] {
  const keys: string[] = [];
  for (const spec of table) {
    const head = yamlHead(spec);
    if (head !== undefined && !keys.includes(head)) keys.push(head);
  }
  return keys;
}

/** Names that are not keys but hint at one (keepalived keywords, aliases) -> the key. */
export function yamlHintsOf(table: readonly FieldSpec[]): Record<string, string> {
  const hints: Record<string, string> = {};
  for (const spec of table) {
    const head = yamlHead(spec);
    if (head === undefined) continue;
    const words = [...(spec.keepalived ?? []).map((k) => k.word), ...(spec.yamlHints ?? []), ...(spec.section ?? []).flatMap((f) => (f.keepalived ?? []).map((k) => k.word))];
    for (const word of words) if (word !== head && !(word in hints)) hints[word] = head;
  }
  return hints;
}
