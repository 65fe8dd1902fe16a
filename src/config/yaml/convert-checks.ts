/**
 * The YAML `checks:` section. Every check has a `type` (exec, http, tcp, process, file,
 * interface), the scheduling keys all kinds share, and the keys of its kind.
 */
import { isSeq } from 'yaml';
import type { CheckKind } from '../check-model.js';
import { splitCommandLine } from '../command-line.js';
import { ConfigError } from '../config-error.js';
import { located, type CheckDraft, type CheckDraftCommon, type Located } from '../draft.js';
import { parseStatusRanges } from '../http-status.js';
import { childPath, isStringNode, readBoolean, readDuration, readInteger, readList, readMap, readString, typeError, type Field, type NamedEntry, type YamlReader } from './nodes.js';

const COMMON_KEYS = ['interval', 'timeout', 'weight', 'rise', 'fall', 'initFail'] as const;

/** Each kind's own keys and how to read them into its draft. */
interface KindReader {
  keys: readonly string[];
  read(reader: YamlReader, common: CheckDraftCommon, fields: ReadonlyMap<string, Field>): CheckDraft;
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

const get = (fields: ReadonlyMap<string, Field>, key: string): Field | undefined => fields.get(key);

const KINDS: Readonly<Record<CheckKind, KindReader>> = {
  exec: {
    keys: ['command', 'user', 'group'],
    read(reader, common, fields) {
      const draft: CheckDraft = { ...common, kind: 'exec' };
      const command = get(fields, 'command');
      if (command) draft.command = located(readCommand(reader, command), command.source, command.path);
      const user = get(fields, 'user');
      if (user) draft.user = readString(user);
      const group = get(fields, 'group');
      if (group) draft.group = readString(group);
      return draft;
    },
  },
  http: {
    keys: ['url', 'expectStatus', 'bodyRegex', 'tlsVerify', 'hostHeader'],
    read(reader, common, fields) {
      const draft: CheckDraft = { ...common, kind: 'http' };
      const url = get(fields, 'url');
      if (url) draft.url = readString(url);
      const status = get(fields, 'expectStatus');
      if (status) draft.expectStatus = readExpectStatus(reader, status);
      const regex = get(fields, 'bodyRegex');
      if (regex) draft.bodyRegex = readString(regex);
      const tls = get(fields, 'tlsVerify');
      if (tls) draft.tlsVerify = readBoolean(tls);
      const host = get(fields, 'hostHeader');
      if (host) draft.hostHeader = readString(host);
      return draft;
    },
  },
  tcp: {
    keys: ['host', 'port'],
    read(_reader, common, fields) {
      const draft: CheckDraft = { ...common, kind: 'tcp' };
      const host = get(fields, 'host');
      if (host) draft.host = readString(host);
      const port = get(fields, 'port');
      if (port) draft.port = readInteger(port);
      return draft;
    },
  },
  process: {
    keys: ['process', 'commandLine', 'pidFile', 'quorum'],
    read(_reader, common, fields) {
      const draft: CheckDraft = { ...common, kind: 'process' };
      const name = get(fields, 'process');
      if (name) draft.processName = readString(name);
      const commandLine = get(fields, 'commandLine');
      if (commandLine) draft.commandLine = readString(commandLine);
      const pidFile = get(fields, 'pidFile');
      if (pidFile) draft.pidFile = readString(pidFile);
      const quorum = get(fields, 'quorum');
      if (quorum) draft.quorum = readInteger(quorum);
      return draft;
    },
  },
  file: {
    keys: ['path'],
    read(_reader, common, fields) {
      const draft: CheckDraft = { ...common, kind: 'file' };
      const path = get(fields, 'path');
      if (path) draft.path = readString(path);
      return draft;
    },
  },
  interface: {
    keys: ['interface'],
    read(_reader, common, fields) {
      const draft: CheckDraft = { ...common, kind: 'interface' };
      const name = get(fields, 'interface');
      if (name) draft.interface = readString(name);
      return draft;
    },
  },
};

/** keepalived keywords and likely slips -> the native key. */
const HINTS = {
  script: 'command',
  cmd: 'command',
  init_fail: 'initFail',
  file: 'path',
  name: 'process',
  processName: 'process',
  param_match: 'commandLine',
  full_command: 'commandLine',
  cmdline: 'commandLine',
  pidfile: 'pidFile',
  status: 'expectStatus',
  status_code: 'expectStatus',
  expect: 'expectStatus',
  regex: 'bodyRegex',
  host_header: 'hostHeader',
  virtualhost: 'hostHeader',
  verify: 'tlsVerify',
  iface: 'interface',
  delay: 'interval',
};

export function readCheck(reader: YamlReader, entry: NamedEntry): CheckDraft {
  const kindKeys = Object.values(KINDS).flatMap((k) => k.keys);
  const allKeys = new Set<string>(['type', ...COMMON_KEYS, ...kindKeys]);
  if (entry.hasNameKey) allKeys.add('name');
  // First pass: any key some kind knows, so the type can be read before kind-specific checking.
  const fields = readMap(reader, entry.body, [...allKeys], HINTS);
  const typeField = fields.get('type');
  const known = Object.keys(KINDS).join(', ');
  if (!typeField) throw new ConfigError(`Missing "type" (known types: ${known})`, entry.source, entry.body.path);
  const type = readString(typeField);
  if (!Object.hasOwn(KINDS, type.value)) throw new ConfigError(`Unknown check type "${type.value}": known types are ${known}`, type.source, typeField.path);
  const kind = KINDS[type.value as CheckKind];
  for (const [key, value] of fields) {
    if (key === 'type' || key === 'name' || (COMMON_KEYS as readonly string[]).includes(key) || kind.keys.includes(key)) continue;
    throw new ConfigError(`Key "${key}" does not apply to checks of type "${type.value}" (their keys: ${[...kind.keys, ...COMMON_KEYS].join(', ')})`, value.source, value.path);
  }
  const common: CheckDraftCommon = { name: entry.name, source: entry.source, keyFor: (key) => childPath(entry.body.path, key) };
  const interval = fields.get('interval');
  if (interval) common.intervalMs = readDuration(interval);
  const timeout = fields.get('timeout');
  if (timeout) common.timeoutMs = readDuration(timeout);
  const weight = fields.get('weight');
  if (weight) common.weight = readInteger(weight);
  const rise = fields.get('rise');
  if (rise) common.rise = readInteger(rise);
  const fall = fields.get('fall');
  if (fall) common.fall = readInteger(fall);
  const initFail = fields.get('initFail');
  if (initFail) common.initFail = readBoolean(initFail);
  return kind.read(reader, common, fields);
}
