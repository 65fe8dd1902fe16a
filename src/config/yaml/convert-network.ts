/**
 * The YAML instance keys for what an instance puts on the network besides its VIPs:
 * virtualRoutes and virtualRules (lists of `ip route` / `ip rule` style strings, parsed exactly as
 * keepalived.conf lines), vmac (true, or { name, mac, xmitBase }), trackPrimary and strict.
 */
import { isMap, isScalar } from 'yaml';
import { located, type InstanceDraft } from '../draft.js';
import { parseRouteWords, parseRuleWords } from '../virtual-routes.js';
import { readBoolean, readList, readMap, readString, typeError, type Field, type YamlReader } from './nodes.js';

export const NETWORK_KEYS = ['virtualRoutes', 'virtualRules', 'vmac', 'trackPrimary', 'strict'];
export const NETWORK_HINTS = {
  virtual_routes: 'virtualRoutes',
  virtual_rules: 'virtualRules',
  use_vmac: 'vmac',
  vmac_xmit_base: 'vmac',
  dont_track_primary: 'trackPrimary',
  strict_mode: 'strict',
};

function words(field: Field): string[] {
  return readString(field).value.trim().split(/\s+/);
}

function readVmac(reader: YamlReader, field: Field, draft: InstanceDraft): void {
  if (isScalar(field.node) && typeof field.node.value === 'boolean') {
    if (readBoolean(field).value) draft.network.vmac = located({}, field.source, field.path);
    return;
  }
  if (!isMap(field.node)) throw typeError(field, 'true, or a mapping with name, mac and xmitBase');
  const vmac: { name?: string; mac?: string } = {};
  for (const [key, value] of readMap(reader, field, ['name', 'mac', 'xmitBase'], { vmac_xmit_base: 'xmitBase' })) {
    if (key === 'xmitBase') draft.network.vmacXmitBase = readBoolean(value);
    else vmac[key as 'name' | 'mac'] = readString(value).value;
  }
  draft.network.vmac = located(vmac, field.source, field.path);
}

/** Reads one of NETWORK_KEYS into the draft. */
export function readNetworkKey(reader: YamlReader, key: string, value: Field, draft: InstanceDraft): void {
  switch (key) {
    case 'virtualRoutes':
      for (const item of readList(reader, value)) draft.network.routes.push(parseRouteWords(words(item), item.source, item.path));
      break;
    case 'virtualRules':
      for (const item of readList(reader, value)) draft.network.rules.push(parseRuleWords(words(item), item.source, item.path));
      break;
    case 'vmac':
      readVmac(reader, value, draft);
      break;
    case 'trackPrimary':
      draft.network.trackPrimary = readBoolean(value);
      break;
    case 'strict':
      draft.network.strict = readBoolean(value);
      break;
  }
}
