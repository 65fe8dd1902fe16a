/**
 * The reference tables of docs/config.md, rendered from the field tables. `npm run docs:config`
 * writes them between the `<!-- generated:NAME -->` and `<!-- end:NAME -->` markers;
 * test/config/docs-tables.test.ts fails when the file is out of date.
 */
import { formatDuration } from '../duration.js';
import { BACKUP_JOB_FIELDS, BACKUPS_FIELDS } from '../fields/backup.js';
import { CHECK_COMMON_FIELDS, CHECK_KIND_FIELDS } from '../fields/check.js';
import type { FieldSpec, KeywordSpec, ValueType } from '../fields/field.js';
import { GLOBAL_FIELDS, GLOBAL_KEYWORDS_WITHOUT_FIELD } from '../fields/global.js';
import { INSTANCE_FIELDS, INSTANCE_KEYWORDS_WITHOUT_FIELD } from '../fields/instance.js';
import { SYNC_GROUP_FIELDS } from '../fields/sync-group.js';
import { VIP_FIELDS } from '../fields/vip.js';
import { RESOURCE_FIELDS } from '../fields/resource.js';
import { BUILT_IN_KINDS } from '../../resources/kinds/index.js';
import type { ResourceKind } from '../../resources/resource.js';
import { keywordClasses, type KeywordClasses } from '../keepalived/keyword-classes.js';

function code(text: string): string {
  return `\`${text}\``;
}

/** Table cells must not break the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function rangeText(type: ValueType): string {
  switch (type.kind) {
    case 'integer':
      return `integer ${type.min}..${type.max}`;
    case 'duration':
      return `duration ${type.minMs / 1000}..${type.maxMs / 1000} s`;
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'text':
      return 'string or number';
    case 'version':
      return '2 or 3';
    case 'enum':
      return type.values.map(code).join(' or ');
    case 'custom':
      return type.text;
  }
}

function defaultText(spec: FieldSpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  const value = spec.default;
  if (value === undefined) return 'none';
  if (spec.type.kind === 'duration' && typeof value === 'number') return value === 0 ? '0' : formatDuration(value);
  if (typeof value === 'string') return code(value);
  return String(value);
}

function keywordText(keywords: readonly KeywordSpec[] | undefined): string {
  return (keywords ?? []).map((k) => code(k.word)).join(', ');
}

interface Row {
  spec: FieldSpec;
  yaml: string;
  model: string;
}

/** The rows of a table, sections flattened ("garp.masterDelay"). */
function rows(table: readonly FieldSpec[], modelPrefix: string): Row[] {
  return table.flatMap((spec): Row[] => {
    if (spec.section) {
      return spec.section.map((inner) => ({ spec: inner, yaml: inner.yaml === undefined ? '' : `${spec.yaml}.${inner.yaml}`, model: `${modelPrefix}${spec.name}.${inner.name}` }));
    }
    return [{ spec, yaml: spec.yaml ?? '', model: `${modelPrefix}${spec.name}` }];
  });
}

/** The YAML keys of a table: key, type, default, keepalived keywords, meaning. */
export function renderYamlTable(table: readonly FieldSpec[]): string {
  const lines = ['| Key | Type | Default | keepalived | Notes |', '|---|---|---|---|---|'];
  for (const { spec, yaml } of rows(table, '')) {
    if (!yaml) continue;
    const key = spec.yamlDoc ?? code(yaml);
    lines.push(`| ${key} | ${cell(spec.typeDoc ?? rangeText(spec.type))} | ${cell(defaultText(spec))} | ${cell(keywordText(spec.keepalived))} | ${cell(spec.doc)} |`);
  }
  return lines.join('\n');
}

/** The keepalived keywords of a block: keyword, the model field it sets, notes. */
export function renderKeywordTable(table: readonly FieldSpec[], modelPrefix: string, withoutField: readonly KeywordSpec[]): string {
  const lines = ['| Keyword | Model | Notes |', '|---|---|---|'];
  for (const { spec, model } of rows(table, modelPrefix)) {
    for (const keyword of spec.keepalived ?? []) {
      const note = keyword.note ?? (keyword.read === 'seconds' ? 'fractional seconds' : keyword.read === 'whole-seconds' ? 'whole seconds' : '');
      lines.push(`| ${code(keyword.word)} | ${code(model)} | ${cell(note)} |`);
    }
  }
  for (const keyword of withoutField) lines.push(`| ${code(keyword.word)} | | ${cell(keyword.note ?? '')} |`);
  return lines.join('\n');
}

/** Keywords that share a reason, in one cell. */
function byReason(reasons: Readonly<Record<string, string>>): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const [keyword, why] of Object.entries(reasons)) groups.set(why, [...(groups.get(why) ?? []), keyword]);
  return [...groups].map(([why, keywords]) => [why, keywords]);
}

/** Every keyword of every keepalived block: implemented, refused (why) or ignored with a warning (why). */
export function renderKeywordClasses(classes: readonly KeywordClasses[]): string {
  const lines = ['| Block | Keywords | hotstandby | Why |', '|---|---|---|---|'];
  for (const c of classes) {
    lines.push(`| ${c.block} | ${c.implemented.map(code).join(', ')} | implemented | |`);
    for (const [why, keywords] of byReason(c.refused)) lines.push(`| ${c.block} | ${keywords.map(code).join(', ')} | **refused** | ${cell(why)} |`);
    for (const [why, keywords] of byReason(c.warned)) lines.push(`| ${c.block} | ${keywords.map(code).join(', ')} | warning | ${cell(why)} |`);
    const unknown = c.refuseUnknown ? '**refused**' : 'warning';
    lines.push(`| ${c.block} | any other | ${unknown} | unknown keyword (with a "did you mean") |`);
  }
  return lines.join('\n');
}

/** A resource kind's own keys (src/resources/kinds/, ResourceKind.fields). */
export function renderResourceKindTable(kind: ResourceKind): string {
  const lines = ['| Key | Type | Default | Notes |', '|---|---|---|---|'];
  for (const f of kind.fields) lines.push(`| ${code(f.key)} | ${cell(f.type)} | ${cell(f.default ?? 'none')} | ${cell(f.doc)} |`);
  return lines.join('\n');
}

/** Every generated block of docs/config.md by marker name. */
export function generatedBlocks(): Record<string, string> {
  return {
    'yaml-resource': renderYamlTable(RESOURCE_FIELDS),
    // One block for every kind, so that registering a kind needs no edit here.
    'yaml-resource-kinds': BUILT_IN_KINDS.map((k) => `\`kind: ${k.kind}\`: ${k.doc}.\n\n${renderResourceKindTable(k)}`).join('\n\n'),
    'yaml-global': renderYamlTable(GLOBAL_FIELDS),
    'yaml-instance': renderYamlTable(INSTANCE_FIELDS),
    'yaml-vip': renderYamlTable(VIP_FIELDS),
    'yaml-check': renderYamlTable(CHECK_COMMON_FIELDS),
    ...Object.fromEntries(Object.entries(CHECK_KIND_FIELDS).map(([kind, table]) => [`yaml-check-${kind}`, renderYamlTable(table)])),
    'yaml-sync-group': renderYamlTable(SYNC_GROUP_FIELDS),
    'yaml-backups': renderYamlTable(BACKUPS_FIELDS),
    'yaml-backup-job': renderYamlTable(BACKUP_JOB_FIELDS),
    'keepalived-global': renderKeywordTable(GLOBAL_FIELDS, 'global.', GLOBAL_KEYWORDS_WITHOUT_FIELD),
    'keepalived-instance': renderKeywordTable(INSTANCE_FIELDS, '', INSTANCE_KEYWORDS_WITHOUT_FIELD),
    'keepalived-keyword-classes': renderKeywordClasses(keywordClasses()),
  };
}

/** `doc` with every generated block replaced; a marker without its end is an error. */
export function updateGeneratedBlocks(doc: string, blocks: Record<string, string> = generatedBlocks()): string {
  let text = doc;
  for (const [name, body] of Object.entries(blocks)) {
    const start = `<!-- generated:${name} (npm run docs:config) -->`;
    const end = `<!-- end:${name} -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/config.md has no "${start}" ... "${end}" block`);
    text = `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
  }
  return text;
}
