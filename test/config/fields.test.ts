/**
 * The field tables (src/config/fields/) are the one description of each setting: a field added to
 * a table is read by both front ends, range-checked and defaulted, and documented; the drafts'
 * types follow from the tables and the model's are checked against them (this file does not
 * compile when they disagree); docs/config.md's generated tables are up to date.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { LineCounter, parseDocument } from 'yaml';
import { generatedBlocks, updateGeneratedBlocks } from '../../src/config/docs/render.js';
import type { CheckCommon, ExecCheckConfig, HttpCheckConfig, TcpCheckConfig } from '../../src/config/check-model.js';
import { CHECK_COMMON_FIELDS, CHECK_KIND_FIELDS, EXEC_CHECK_FIELDS, HTTP_CHECK_FIELDS, TCP_CHECK_FIELDS } from '../../src/config/fields/check.js';
import type { DraftOf, FieldSpec, ValuesOf } from '../../src/config/fields/field.js';
import { yamlKeysOf } from '../../src/config/fields/field.js';
import { GLOBAL_GARP_FIELDS, INSTANCE_GARP_FIELDS } from '../../src/config/fields/garp.js';
import { GLOBAL_FIELDS } from '../../src/config/fields/global.js';
import { INSTANCE_FIELDS } from '../../src/config/fields/instance.js';
import { SYNC_GROUP_FIELDS } from '../../src/config/fields/sync-group.js';
import { fieldHandlers } from '../../src/config/keepalived/fields.js';
import { tokenizeLine } from '../../src/config/keepalived/lexer.js';
import { parseConfLines } from '../../src/config/keepalived/parser.js';
import { VIP_FIELDS } from '../../src/config/fields/vip.js';
import type { GarpConfig, GlobalConfig, InstanceConfig, VipConfig } from '../../src/config/model.js';
import { fieldValue } from '../../src/config/resolve-field.js';
import { readFields } from '../../src/config/yaml/fields.js';
import { YamlReader } from '../../src/config/yaml/nodes.js';
import { assertConfigError, DATA_DIR, yaml } from './helpers.js';

// Compile-time: each plain field of a table has the model's type under the model's name.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ModelPart<T extends readonly FieldSpec[], M> = Same<Omit<ValuesOf<T>, Exclude<keyof ValuesOf<T>, keyof M>>, Required<Pick<M, keyof ValuesOf<T> & keyof M>>>;
const instanceMatches: ModelPart<typeof INSTANCE_FIELDS, InstanceConfig> = true;
const globalMatches: ModelPart<typeof GLOBAL_FIELDS, GlobalConfig> = true;
const garpMatches: Same<ValuesOf<typeof INSTANCE_GARP_FIELDS>, GarpConfig> = true;
const checkMatches: ModelPart<typeof CHECK_COMMON_FIELDS, CheckCommon> = true;
const tcpMatches: ModelPart<typeof TCP_CHECK_FIELDS, TcpCheckConfig> = true;
const httpMatches: ModelPart<typeof HTTP_CHECK_FIELDS, HttpCheckConfig> = true;
const execMatches: ModelPart<typeof EXEC_CHECK_FIELDS, ExecCheckConfig> = true;
const vipMatches: Same<ValuesOf<typeof VIP_FIELDS>, Required<Omit<VipConfig, 'family' | 'excluded' | 'source'>>> = true;
/** Table fields the model does not carry under their own name (resolved into other fields). */
const draftOnly: Same<Exclude<keyof ValuesOf<typeof GLOBAL_FIELDS>, keyof GlobalConfig>, 'defaultVersion'> = true;
const instanceDraftOnly: Same<Exclude<keyof ValuesOf<typeof INSTANCE_FIELDS>, keyof InstanceConfig>, never> = true;

const DOC = resolve(DATA_DIR, '../../../docs/config.md');

test('the model types agree with the field tables (checked when this file compiles)', () => {
  const checks = [checkMatches, tcpMatches, httpMatches, execMatches, vipMatches];
  assert.deepEqual([instanceMatches, globalMatches, garpMatches, draftOnly, instanceDraftOnly, ...checks], new Array(10).fill(true));
});

test('docs/config.md has the tables the field tables generate (run `npm run docs:config` after changing a table)', async () => {
  const text = await readFile(DOC, 'utf8');
  assert.equal(updateGeneratedBlocks(text), text);
  for (const [name, block] of Object.entries(generatedBlocks())) assert.ok(text.includes(block), `generated block ${name} missing`);
});

test('YAML keys and keepalived keywords are unique within each table', () => {
  const tables: readonly (readonly FieldSpec[])[] = [GLOBAL_FIELDS, INSTANCE_FIELDS, INSTANCE_GARP_FIELDS, GLOBAL_GARP_FIELDS, SYNC_GROUP_FIELDS, VIP_FIELDS];
  for (const table of [...tables, ...Object.values(CHECK_KIND_FIELDS).map((kind): readonly FieldSpec[] => [...CHECK_COMMON_FIELDS, ...kind])]) {
    const keys = table.flatMap((f) => (f.yaml === undefined ? [] : [f.yaml]));
    assert.equal(new Set(keys).size, keys.length);
    const words = table.flatMap((f) => [...(f.keepalived ?? []), ...(f.section ?? []).flatMap((s) => s.keepalived ?? [])].map((k) => k.word));
    assert.equal(new Set(words).size, words.length, words.join(' '));
  }
});

test('every plain instance field with a default gets it from the table when the file is silent', () => {
  const { config } = yaml('instances:\n  web:\n    interface: eth0\n    vrid: 1\n    vips: [192.0.2.10]\n');
  const instance = config.instances[0] as unknown as Record<string, unknown>;
  for (const spec of INSTANCE_FIELDS as readonly FieldSpec[]) {
    if (spec.default === undefined || spec.type.kind === 'custom') continue;
    assert.equal(instance[spec.name], spec.default, spec.name);
  }
  const global = config.global as unknown as Record<string, unknown>;
  for (const spec of GLOBAL_FIELDS as readonly FieldSpec[]) {
    if (spec.default === undefined || spec.type.kind === 'custom' || !(spec.name in global)) continue;
    assert.equal(global[spec.name], spec.default, spec.name);
  }
});

/** A field that no front end knows: added to a table, it is read, checked and defaulted. */
const NEW_FIELDS = [
  {
    name: 'holdTimeMs',
    yaml: 'holdTime',
    keepalived: [{ word: 'hold_time', read: 'seconds' }],
    type: { kind: 'duration', minMs: 0, maxMs: 10_000 },
    label: 'Hold time',
    default: 3000,
    doc: 'a test field',
  },
  {
    name: 'spare',
    yaml: 'spare',
    keepalived: [
      { word: 'spare', read: 'flag-true' },
      { word: 'no_spare', read: 'flag-false' },
    ],
    type: { kind: 'boolean' },
    default: false,
    doc: 'a test flag',
  },
  {
    name: 'peerTtl',
    yaml: 'peer.ttl',
    keepalived: [{ word: 'peer_ttl', read: 'unsigned' }],
    type: { kind: 'integer', min: 1, max: 255 },
    label: 'Peer TTL',
    default: 255,
    doc: 'a key of a nested mapping',
  },
] as const satisfies readonly FieldSpec[];

function yamlDraft(text: string): DraftOf<typeof NEW_FIELDS> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const reader = new YamlReader('new.yaml', doc, lines);
  const draft: DraftOf<typeof NEW_FIELDS> = {};
  readFields(reader, { node: reader.resolve(doc.contents), path: 'x', source: { file: 'new.yaml', line: 1 } }, NEW_FIELDS, draft);
  return draft;
}

function confDraft(text: string): DraftOf<typeof NEW_FIELDS> {
  const lines = text.split('\n').map((line, i) => ({ tokens: tokenizeLine(line, { file: 'new.conf', line: i + 1 }, '/'), source: { file: 'new.conf', line: i + 1 } }));
  const handlers = fieldHandlers<DraftOf<typeof NEW_FIELDS>>(NEW_FIELDS, () => {}, {});
  const draft: DraftOf<typeof NEW_FIELDS> = {};
  for (const node of parseConfLines(lines)) (handlers[node.keyword.text] as (n: typeof node, d: typeof draft) => void)(node, draft);
  return draft;
}

test('a field added to a table is read from YAML and keepalived.conf alike, then checked and defaulted', async () => {
  const fromYaml = yamlDraft('holdTime: 1.5s\nspare: true\npeer: { ttl: 64 }\n');
  const fromConf = confDraft('hold_time 1.5\nspare\npeer_ttl 64');
  for (const draft of [fromYaml, fromConf]) {
    assert.equal(fieldValue(NEW_FIELDS, 'holdTimeMs', draft), 1500);
    assert.equal(fieldValue(NEW_FIELDS, 'spare', draft), true);
    assert.equal(fieldValue(NEW_FIELDS, 'peerTtl', draft), 64);
  }
  assert.equal(fieldValue(NEW_FIELDS, 'holdTimeMs', {}), 3000);
  assert.equal(fieldValue(NEW_FIELDS, 'peerTtl', {}), 255);
  await assertConfigError(() => yamlDraft('peer: { tll: 64 }\n'), { line: 1, key: 'x.peer.tll', message: /did you mean 'ttl'/ });
  assert.equal(fieldValue(NEW_FIELDS, 'spare', confDraft('spare\nno_spare')), false);
  await assertConfigError(() => fieldValue(NEW_FIELDS, 'holdTimeMs', yamlDraft('holdTime: 11s\n')), { file: 'new.yaml', line: 1, key: 'x.holdTime', message: /Hold time 11000 ms is out of range: expected 0\.\.10000 ms/ });
  await assertConfigError(() => fieldValue(NEW_FIELDS, 'holdTimeMs', confDraft('hold_time 20')), { file: 'new.conf', line: 1, key: 'hold_time', message: /Hold time 20000 ms is out of range/ });
  assert.deepEqual(yamlKeysOf(NEW_FIELDS), ['holdTime', 'spare', 'peer']);
  await assertConfigError(() => yamlDraft('hold_time: 1s\n'), { line: 1, key: 'x.hold_time', message: /Unknown key "hold_time" \(did you mean 'holdTime'\?\); known keys here: holdTime, spare, peer/ });
});
