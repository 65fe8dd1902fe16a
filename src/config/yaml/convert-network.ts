/**
 * The YAML readers of the custom instance fields virtualRoutes and virtualRules (lists of
 * `ip route` / `ip rule` style strings, parsed exactly as keepalived.conf lines) and vmac (true,
 * or { name, mac, xmitBase }).
 */
import { isMap, isScalar } from 'yaml';
import { located, type InstanceDraft } from '../draft.js';
import { parseRouteWords, parseRuleWords } from '../virtual-routes.js';
import type { CustomReader } from './fields.js';
import { readBoolean, readList, readMap, readString, typeError, type Field, type YamlReader } from './nodes.js';

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

/** Readers of the custom instance fields virtualRoutes, virtualRules and vmac (fields/instance.ts). */
export const NETWORK_READERS: Readonly<Record<string, CustomReader<InstanceDraft>>> = {
  virtualRoutes: (reader, value, draft) => {
    for (const item of readList(reader, value)) draft.network.routes.push(parseRouteWords(words(item), item.source, item.path));
  },
  virtualRules: (reader, value, draft) => {
    for (const item of readList(reader, value)) draft.network.rules.push(parseRuleWords(words(item), item.source, item.path));
  },
  vmac: readVmac,
};
