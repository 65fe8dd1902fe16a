/**
 * vrrp_instance blocks into instance drafts, with keepalived 2.2.7's per-keyword semantics.
 */
import { ConfigError } from '../config-error.js';
import { MAX_TRACK_WEIGHT } from '../defaults.js';
import { emptyInstanceDraft, located, type InstanceDraft, type Located, type UnicastPeerTtlDraft } from '../draft.js';
import type { SourceLocation } from '../model.js';
import { checkInteger } from '../validate-values.js';
import { parseVipWords } from '../vip.js';
import { INSTANCE_FIELDS, INSTANCE_KEYWORDS_WITHOUT_FIELD } from '../fields/instance.js';
import { convertBlock, type BlockRules, type Handler } from './blocks.js';
import { NETWORK_BLOCK_KEYWORDS, networkHandlers } from './convert-network.js';
import { fieldHandlers } from './fields.js';
import { IGNORED_INSTANCE_KEYWORDS, REFUSED_INSTANCE_KEYWORDS } from './instance-keywords.js';
import type { Token } from './lexer.js';
import { readNotify } from './notify.js';
import type { ConfNode } from './parser.js';
import {
  blockOf,
  expectNoBlock,
  keywordOf,
  readInteger,
  readOptionalBool,
  readString,
  readUnsigned,
  singleArg,
  type Warn,
} from './values.js';

interface Pending {
  authType?: Located<string>;
  authPassword?: Located<string>;
  authBlock?: SourceLocation;
  unicastFaultNoPeer?: SourceLocation;
  nativeIpv6?: SourceLocation;
}

export function authenticationRules(warn: Warn): BlockRules<Pending> {
  return {
    name: 'authentication',
    refuseUnknown: true,
    handlers: {
      auth_type: (node, p) => {
        const type = readString(node, warn);
        if (type.value === 'AH') throw new ConfigError('IPsec AH authentication is not supported (only PASS)', type.source, 'auth_type');
        if (type.value !== 'PASS') throw new ConfigError(`Unknown authentication type "${type.value}": expected PASS`, type.source, 'auth_type');
        p.authType = type;
      },
      auth_pass: (node, p) => {
        p.authPassword = readString(node, warn);
      },
    },
  };
}

/** keepalived `unicast_peer { ADDR [min_ttl N] [max_ttl N] }`: the words after the address. */
function peerTtlRange(peer: Located<string>, words: Token[]): UnicastPeerTtlDraft {
  const range: UnicastPeerTtlDraft = { peer };
  for (let i = 0; i < words.length; i += 2) {
    const [option, value] = [words[i] as Token, words[i + 1]];
    if ((option.text !== 'min_ttl' && option.text !== 'max_ttl') || value === undefined) {
      const text = words.map((t) => t.text).join(' ');
      throw new ConfigError(`Unknown unicast_peer option in "${text}": expected min_ttl N / max_ttl N`, option.source, 'unicast_peer');
    }
    const ttl = readUnsigned(value, option.text, 255);
    if (option.text === 'min_ttl') range.min = ttl;
    else range.max = ttl;
  }
  return range;
}

/** A track weight: "weight N [reverse|noreverse]"; reverse is refused (not in the model). */
function trackWeight(owner: Token, rest: Token[], keyword: string): number | undefined {
  if (rest.length === 0) return undefined;
  const [word, value, direction, ...extra] = rest;
  if (word?.text !== 'weight' || !value) {
    throw new ConfigError(`Unknown option "${word?.text}" for tracked "${owner.text}": expected "weight N"`, (word ?? owner).source, keyword);
  }
  const weight = readInteger(value, keyword).value;
  if (direction && direction.text === 'reverse') {
    throw new ConfigError(`"reverse" tracking weights are not supported (tracked "${owner.text}")`, direction.source, keyword);
  }
  if (direction && direction.text !== 'noreverse' && direction.text !== 'no_reverse') {
    throw new ConfigError(`Unknown option "${direction.text}" for tracked "${owner.text}"`, direction.source, keyword);
  }
  if (extra[0]) throw new ConfigError(`Unexpected "${extra[0].text}" after the weight of "${owner.text}"`, extra[0].source, keyword);
  return weight;
}

/** track_script { NAME [weight N] } and its track_file / track_process siblings. */
function trackChecks(node: ConfNode, draft: InstanceDraft, kind: 'exec' | 'file' | 'process'): void {
  const keyword = keywordOf(node);
  for (const line of blockOf(node)) {
    if (line.children) throw new ConfigError(`Unexpected { } block in ${keyword}`, line.source, keyword);
    const weight = trackWeight(line.keyword, line.args, keyword);
    // keepalived: track_script weights are -253..253 (track_file / track_process: the model's -254..254).
    if (weight !== undefined && kind === 'exec') checkInteger(located(weight, line.source, keyword), -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT, keyword, 'Weight');
    const track = { name: line.keyword.text, source: line.source, key: keyword, kind };
    draft.trackChecks.push(weight === undefined ? track : { ...track, weight });
  }
}

export function instanceRules(pending: Pending, warn: Warn): BlockRules<InstanceDraft> {
  const addVips = (node: ConfNode, d: InstanceDraft, excluded: boolean): void => {
    for (const line of blockOf(node)) {
      if (line.children) throw new ConfigError('Unexpected { } block in an address list', line.source, keywordOf(node));
      const words = [line.keyword, ...line.args].map((t) => t.text);
      const parsed = parseVipWords(words, excluded, line.source, keywordOf(node));
      for (const message of parsed.warnings) warn(message, line.source);
      d.vips.push(parsed.vip);
    }
  };
  const notify = (node: ConfNode, d: InstanceDraft): void => readNotify(node, d.notify, warn);
  const custom: Record<string, Handler<InstanceDraft>> = {
    state: (node, d) => {
      const state = readString(node, warn);
      if (state.value !== 'MASTER' && state.value !== 'BACKUP') {
        throw new ConfigError(`Unknown state "${state.value}": expected MASTER or BACKUP`, state.source, 'state');
      }
      if (d.initialState?.value === 'MASTER' && state.value === 'BACKUP') {
        warn('State was already set to MASTER; BACKUP is ignored, as keepalived does', state.source);
        return;
      }
      d.initialState = located(state.value, state.source, 'state');
    },
    authentication: (node) => {
      pending.authBlock = node.source;
      convertBlock(blockOf(node), authenticationRules(warn), pending, warn);
    },
    virtual_ipaddress: (node, d) => addVips(node, d, false),
    virtual_ipaddress_excluded: (node, d) => addVips(node, d, true),
    unicast_peer: (node, d) => {
      for (const line of blockOf(node)) {
        const peer = located(line.keyword.text, line.source, 'unicast_peer');
        d.unicastPeers.push(peer);
        if (line.args.length > 0) (d.unicastPeerTtl ??= []).push(peerTtlRange(peer, line.args));
      }
    },
    unicast_fault_no_peer: (node) => {
      pending.unicastFaultNoPeer = node.source;
    },
    old_unicast_checksum: (node) => {
      if (node.args[0]?.text === 'never') {
        warn('old_unicast_checksum never ignored: old checksums are never accepted anyway', node.source);
        return;
      }
      throw new ConfigError('The pre-1.3.6 keepalived unicast checksum is not supported', node.source, 'old_unicast_checksum');
    },
    down_timer_adverts: (node) => {
      if (readUnsigned(singleArg(node, warn), 'down_timer_adverts').value !== 3) {
        throw new ConfigError('Only the RFC master down interval of 3 adverts is supported', node.source, 'down_timer_adverts');
      }
    },
    track_interface: (node, d) => {
      for (const line of blockOf(node)) {
        const weight = trackWeight(line.keyword, line.args, 'track_interface') ?? 0;
        d.trackInterfaces.push({ name: line.keyword.text, weight, source: line.source, key: 'track_interface' });
      }
    },
    track_script: (node, d) => trackChecks(node, d, 'exec'),
    track_file: (node, d) => trackChecks(node, d, 'file'),
    track_process: (node, d) => trackChecks(node, d, 'process'),
    notify_master: notify,
    notify_backup: notify,
    notify_fault: notify,
    notify_stop: notify,
    notify,
    native_ipv6: (node) => {
      pending.nativeIpv6 = node.source;
    },
    notify_master_rx_lower_pri: notify,
    ...networkHandlers(warn),
  };
  const handlers = fieldHandlers(INSTANCE_FIELDS, warn, custom, INSTANCE_KEYWORDS_WITHOUT_FIELD);
  for (const [keyword, handler] of Object.entries(handlers)) {
    const blockKeywords = ['authentication', 'virtual_ipaddress', 'virtual_ipaddress_excluded', 'unicast_peer', 'track_interface', 'track_script', 'track_file', 'track_process', ...NETWORK_BLOCK_KEYWORDS];
    if (!blockKeywords.includes(keyword)) {
      handlers[keyword] = (node, d) => {
        expectNoBlock(node);
        handler(node, d);
      };
    }
  }
  return {
    name: 'vrrp_instance',
    handlers,
    ignored: IGNORED_INSTANCE_KEYWORDS,
    refused: REFUSED_INSTANCE_KEYWORDS,
  };
}

/** What keepalived decides once the whole block is read. */
function completeInstance(draft: InstanceDraft, pending: Pending, warn: Warn): void {
  if (pending.authType) {
    draft.authPass = pending.authPassword ? located(pending.authPassword.value, pending.authPassword.source, 'auth_pass') : located('', pending.authType.source, 'auth_pass');
  } else if (pending.authPassword) {
    warn('auth_pass without "auth_type PASS" is ignored, as keepalived does: adverts are sent without authentication', pending.authPassword.source);
  } else if (pending.authBlock) {
    warn('Empty authentication block ignored', pending.authBlock);
  }
  if (pending.unicastFaultNoPeer && draft.unicastPeers.length === 0) {
    throw new ConfigError('unicast_fault_no_peer without unicast peers: keepalived would hold the instance in FAULT', pending.unicastFaultNoPeer, 'unicast_fault_no_peer');
  }
  if (pending.nativeIpv6) {
    const ipv4 = draft.vips.find((v) => !v.excluded && v.family === 4);
    if (ipv4) throw new ConfigError(`native_ipv6 with IPv4 address ${ipv4.address}`, pending.nativeIpv6, 'native_ipv6');
    warn('native_ipv6 is deprecated: the virtual addresses decide the family', pending.nativeIpv6);
  }
  // keepalived: "state MASTER" without a priority makes the instance the address owner.
  if (draft.initialState?.value === 'MASTER' && !draft.priority) {
    warn(`Instance "${draft.name}" has state MASTER and no priority: priority 255 (address owner), as keepalived does`, draft.initialState.source);
    draft.priority = located(255, draft.initialState.source, 'state');
  }
}

export function convertInstance(node: ConfNode, warn: Warn): InstanceDraft {
  const name = singleArg(node, warn, 'an instance name');
  const draft = emptyInstanceDraft(name.text, node.source);
  const pending: Pending = {};
  convertBlock(blockOf(node), instanceRules(pending, warn), draft, warn);
  completeInstance(draft, pending, warn);
  return draft;
}
