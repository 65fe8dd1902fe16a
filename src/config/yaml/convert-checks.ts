/**
 * The YAML `checks:` section. Each check has a `type`; only "exec" (keepalived's vrrp_script)
 * exists so far, and the registry below is where later kinds (http, tcp, process, file,
 * interface) plug in.
 */
import { splitCommandLine } from '../command-line.js';
import { ConfigError } from '../config-error.js';
import { located, type ScriptDraft } from '../draft.js';
import { isStringNode, readBoolean, readDuration, readInteger, readList, readMap, readString, type Field, type NamedEntry, type YamlReader } from './nodes.js';

interface CheckKind {
  /** Keys besides "type" (and "name" in list form). */
  keys: readonly string[];
  read(reader: YamlReader, entry: NamedEntry, fields: Map<string, Field>): ScriptDraft;
}

function readCommand(reader: YamlReader, field: Field): string[] {
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

const EXEC: CheckKind = {
  keys: ['command', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'initFail'],
  read(reader, entry, fields) {
    const draft: ScriptDraft = { name: entry.name, source: entry.source };
    for (const [key, value] of fields) {
      switch (key) {
        case 'command':
          draft.command = located(readCommand(reader, value), value.source, value.path);
          break;
        case 'interval':
          draft.intervalMs = readDuration(value);
          break;
        case 'timeout':
          draft.timeoutMs = readDuration(value);
          break;
        case 'weight':
          draft.weight = readInteger(value);
          break;
        case 'rise':
          draft.rise = readInteger(value);
          break;
        case 'fall':
          draft.fall = readInteger(value);
          break;
        case 'user':
          draft.user = readString(value);
          break;
        case 'initFail':
          draft.initFail = readBoolean(value);
          break;
      }
    }
    return draft;
  },
};

const CHECK_KINDS: Readonly<Record<string, CheckKind>> = { exec: EXEC };

const HINTS = { script: 'command', init_fail: 'initFail', cmd: 'command' };

export function readCheck(reader: YamlReader, entry: NamedEntry): ScriptDraft {
  const allKeys = new Set(['type', ...Object.values(CHECK_KINDS).flatMap((k) => k.keys)]);
  if (entry.hasNameKey) allKeys.add('name');
  // First pass: any key some kind knows, so the type can be read before kind-specific checking.
  const fields = readMap(reader, entry.body, [...allKeys], HINTS);
  const typeField = fields.get('type');
  const known = Object.keys(CHECK_KINDS).join(', ');
  if (!typeField) throw new ConfigError(`Missing "type" (known types: ${known})`, entry.source, entry.body.path);
  const type = readString(typeField);
  const kind = CHECK_KINDS[type.value];
  if (!kind) throw new ConfigError(`Unknown check type "${type.value}": known types are ${known}`, type.source, typeField.path);
  const own = new Map([...fields].filter(([key]) => key !== 'type' && key !== 'name'));
  for (const [key, value] of own) {
    if (!kind.keys.includes(key)) throw new ConfigError(`Key "${key}" does not apply to checks of type "${type.value}"`, value.source, value.path);
  }
  return kind.read(reader, entry, own);
}
