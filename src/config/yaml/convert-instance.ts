/**
 * One entry of the YAML `instances:` section into an instance draft.
 */
import { isMap, isSeq } from 'yaml';
import { ConfigError } from '../config-error.js';
import { emptyInstanceDraft, type InstanceDraft, type Located, type UnicastPeerTtlDraft, type VipDraft } from '../draft.js';
import { parseVipWords } from '../vip.js';
import { yamlHintsOf, yamlKeysOf } from '../fields/field.js';
import { INSTANCE_FIELDS } from '../fields/instance.js';
import { VIP_FIELDS } from '../fields/vip.js';
import { INSTANCE_NOTIFY_KEYS, readNotify } from './convert-common.js';
import { NETWORK_READERS } from './convert-network.js';
import { readFields, type CustomReader } from './fields.js';
import { isStringNode, readInteger, readList, readMap, readString, typeError, type Field, type NamedEntry, type YamlReader } from './nodes.js';

/**
 * A virtual address: the keepalived-style string ("10.0.0.10/24 dev eth1 label eth1:vip") or an
 * object with the same parts; both go through the same parser so they cannot disagree.
 */
function readVip(reader: YamlReader, field: Field, excluded: boolean): VipDraft {
  let words: string[];
  if (isStringNode(field)) {
    words = readString(field).value.trim().split(/\s+/);
  } else if (isMap(field.node)) {
    const parts = readMap(reader, field, yamlKeysOf(VIP_FIELDS), yamlHintsOf(VIP_FIELDS));
    const address = parts.get('address');
    if (!address) throw new ConfigError('Missing "address"', field.source, field.path);
    let first = readString(address).value;
    const prefix = parts.get('prefix');
    if (prefix) {
      if (first.includes('/')) throw new ConfigError('Prefix given twice (in "address" and "prefix")', prefix.source, prefix.path);
      first += `/${readInteger(prefix).value}`;
    }
    words = [first];
    // The mapping's parts become the option words of a keepalived line ("dev eth0").
    for (const spec of VIP_FIELDS) {
      const part = parts.get(spec.yaml);
      const option = 'keepalived' in spec ? spec.keepalived[0].word : undefined;
      if (part && option) words.push(option, readString(part).value);
    }
  } else {
    throw typeError(field, 'an address string ("10.0.0.10/24 dev eth1") or a mapping with "address"');
  }
  const parsed = parseVipWords(words, excluded, field.source, field.path);
  for (const message of parsed.warnings) reader.warn(message, field.source);
  return parsed.vip;
}

/** A unicast peer: its address, or { address, minTtl, maxTtl } (keepalived min_ttl / max_ttl). */
function readPeer(reader: YamlReader, field: Field, draft: InstanceDraft): Located<string> {
  if (isStringNode(field)) return readString(field);
  const parts = readMap(reader, field, ['address', 'minTtl', 'maxTtl'], { min_ttl: 'minTtl', max_ttl: 'maxTtl' });
  const address = parts.get('address');
  if (!address) throw typeError(field, 'an address string or a mapping with "address"');
  const peer = readString(address);
  const range: UnicastPeerTtlDraft = { peer };
  const min = parts.get('minTtl');
  const max = parts.get('maxTtl');
  if (min) range.min = readInteger(min);
  if (max) range.max = readInteger(max);
  if (min || max) (draft.unicastPeerTtl ??= []).push(range);
  return peer;
}

/** A tracked thing: its name, or { name, weight }. */
function readTracked(reader: YamlReader, field: Field): { name: string; weight?: number } {
  if (isStringNode(field)) return { name: readString(field).value };
  const parts = readMap(reader, field, ['name', 'weight']);
  const name = parts.get('name');
  if (!name) throw new ConfigError('Missing "name"', field.source, field.path);
  const weight = parts.get('weight');
  return weight ? { name: readString(name).value, weight: readInteger(weight).value } : { name: readString(name).value };
}

/**
 * track: a list of checks (names or { name, weight }), or a mapping with `checks` and
 * `interfaces` (keepalived's track_interface: down means FAULT unless weighted).
 */
function readTrack(reader: YamlReader, field: Field, draft: InstanceDraft): void {
  const addChecks = (list: Field): void => {
    for (const item of readList(reader, list)) draft.trackChecks.push({ ...readTracked(reader, item), source: item.source, key: item.path });
  };
  if (isSeq(field.node)) {
    addChecks(field);
    return;
  }
  const hints = { track_interface: 'interfaces', track_script: 'checks', track_file: 'checks', track_process: 'checks', scripts: 'checks' };
  for (const [key, value] of readMap(reader, field, ['interfaces', 'checks'], hints)) {
    if (key === 'checks') {
      addChecks(value);
      continue;
    }
    for (const item of readList(reader, value)) {
      const tracked = readTracked(reader, item);
      draft.trackInterfaces.push({ name: tracked.name, weight: tracked.weight ?? 0, source: item.source, key: item.path });
    }
  }
}

/** Structures of an instance, each under its key; the plain fields are read by the table. */
const CUSTOM_READERS: Readonly<Record<string, CustomReader<InstanceDraft>>> = {
  auth: (reader, value, draft) => {
    const password = readMap(reader, value, ['password'], { auth_pass: 'password', pass: 'password' }).get('password');
    if (!password) throw new ConfigError('Missing "password"', value.source, value.path);
    // YAML reads 1234 or 0x12 as numbers; guessing the intended text could change the password.
    if (!isStringNode(password)) throw typeError(password, 'a quoted string (a password like 1234 must be written "1234")');
    draft.authPass = readString(password);
  },
  vips: (reader, value, draft) => {
    for (const item of readList(reader, value)) draft.vips.push(readVip(reader, item, false));
  },
  excludedVips: (reader, value, draft) => {
    for (const item of readList(reader, value)) draft.vips.push(readVip(reader, item, true));
  },
  'unicast.peers': (reader, value, draft) => {
    draft.unicastPeers = readList(reader, value).map((peer) => readPeer(reader, peer, draft));
  },
  track: readTrack,
  notify: (reader, value, draft) => {
    draft.notify = readNotify(reader, value, INSTANCE_NOTIFY_KEYS);
  },
  ...NETWORK_READERS,
};

export function readInstance(reader: YamlReader, entry: NamedEntry): InstanceDraft {
  const draft = emptyInstanceDraft(entry.name, entry.source);
  readFields(reader, entry.body, INSTANCE_FIELDS, draft, { custom: CUSTOM_READERS, extraKeys: entry.hasNameKey ? ['name'] : [] });
  return draft;
}
