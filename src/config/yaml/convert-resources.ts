/**
 * The YAML `resources:` section (issue 11 §1): per entry the keys every kind shares
 * (fields/resource.ts) and the kind's own keys, which the kind reads itself through
 * YamlResourceSettings. Cross-references (follows, order) are checked in validate-resources.ts.
 */
import { isMap, isScalar, type Pair } from 'yaml';
import { ConfigError } from '../config-error.js';
import { located, type Located } from '../draft.js';
import type { DraftOf } from '../fields/field.js';
import { yamlKeysOf } from '../fields/field.js';
import { LAG_ALARM_FIELDS, RESOURCE_FIELDS, RESOURCE_TIMEOUT_FIELDS } from '../fields/resource.js';
import type { SourceLocation } from '../model.js';
import type { FenceAction, ResourcePenalty } from '../resource-model.js';
import { didYouMean } from '../suggest.js';
import type { ResourceKind } from '../../resources/resource.js';
import type { ResourceKinds } from '../../resources/registry.js';
import { readCommand } from './convert-checks.js';
import { readFields } from './fields.js';
import { childPath, readInteger, readMap, readNamedCollection, readString, typeError, type Field, type YamlReader } from './nodes.js';
import { YamlResourceSettings } from './resource-settings.js';

export interface ResourceDraft extends DraftOf<typeof RESOURCE_FIELDS> {
  name: string;
  source: SourceLocation;
  kind: ResourceKind;
  timeouts?: DraftOf<typeof RESOURCE_TIMEOUT_FIELDS>;
  lagAlarm?: DraftOf<typeof LAG_ALARM_FIELDS>;
  onMonitorFailure?: Located<ResourcePenalty>;
  veto?: Located<ResourcePenalty>;
  onStopFailure?: Located<FenceAction>;
  /** What kind.parse returned. */
  settings: unknown;
}

const COMMON_KEYS = yamlKeysOf(RESOURCE_FIELDS);

export function readResources(reader: YamlReader, field: Field, kinds: ResourceKinds): ResourceDraft[] {
  return readNamedCollection(reader, field).map((entry) => {
    if (!isMap(entry.body.node)) throw typeError(entry.body, 'a mapping of resource settings');
    const kind = kindOf(reader, entry.body, kinds);
    const kindKeys = kind.fields.map((f) => f.key);
    const nameKey = entry.hasNameKey ? ['name'] : [];
    const draft = { name: entry.name, source: entry.source, kind } as ResourceDraft;
    readFields(reader, entry.body, RESOURCE_FIELDS, draft, {
      extraKeys: [...nameKey, ...kindKeys.filter((k) => !COMMON_KEYS.includes(k))],
      custom: {
        kind: () => undefined,
        onMonitorFailure: (_, value, d) => (d.onMonitorFailure = located(readPenalty(reader, value), value.source, value.path)),
        veto: (_, value, d) => (d.veto = located(readPenalty(reader, value), value.source, value.path)),
        onStopFailure: (_, value, d) => (d.onStopFailure = located(readFence(reader, value), value.source, value.path)),
      },
    });
    draft.settings = kind.parse(YamlResourceSettings.of(reader, entry.body, kindKeys, [...COMMON_KEYS, ...nameKey]));
    return draft;
  });
}

function kindOf(reader: YamlReader, body: Field, kinds: ResourceKinds): ResourceKind {
  const pair = (body.node as { items: Pair[] }).items.find((p) => isScalar(p.key) && p.key.value === 'kind');
  if (pair === undefined) throw new ConfigError(`Missing "kind" (one of ${kinds.names().join(', ')})`, body.source, body.path);
  const node = reader.resolve(pair.value);
  const field: Field = { node, path: childPath(body.path, 'kind'), source: reader.sourceOf(node, body.source) };
  const name = readString(field).value;
  const kind = kinds.get(name);
  if (kind === undefined) throw new ConfigError(`Unknown resource kind "${name}"${didYouMean(name, kinds.names())}; known kinds: ${kinds.names().join(', ')}`, field.source, field.path);
  return kind;
}

/** `fault`, or `{ weight: -N }`. */
function readPenalty(reader: YamlReader, field: Field): ResourcePenalty {
  if (isScalar(field.node)) {
    if (field.node.value === 'fault') return { fault: true };
    throw typeError(field, '`fault` or a mapping `{ weight: -N }`');
  }
  const entries = readMap(reader, field, ['weight']);
  const weightField = entries.get('weight');
  if (!weightField) throw new ConfigError('Expected "weight" (-254..-1) or the word fault', field.source, field.path);
  const weight = readInteger(weightField).value;
  if (weight < -254 || weight > -1) throw new ConfigError(`Weight ${weight} is out of range: expected -254..-1 (use fault for FAULT)`, weightField.source, weightField.path);
  return { weight };
}

/** `fault`, or `{ command, user?, group? }`. */
function readFence(reader: YamlReader, field: Field): FenceAction {
  if (isScalar(field.node)) {
    if (field.node.value === 'fault') return { kind: 'fault' };
    throw typeError(field, '`fault` or a mapping `{ command: ..., user: ..., group: ... }`');
  }
  const entries = readMap(reader, field, ['command', 'user', 'group']);
  const commandField = entries.get('command');
  if (!commandField) throw new ConfigError('Expected "command" (or the word fault)', field.source, field.path);
  const user = entries.get('user');
  const group = entries.get('group');
  return {
    kind: 'command',
    command: readCommand(reader, commandField),
    ...(user ? { user: readString(user).value } : {}),
    ...(group ? { group: readString(group).value } : {}),
  };
}
