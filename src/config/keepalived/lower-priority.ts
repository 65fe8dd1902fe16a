/**
 * keepalived's keywords for a master hearing a lower-priority advert, globally (vrrp_*) and per
 * instance: lower_prio_no_advert [BOOL], garp_lower_prio_repeat N, garp_lower_prio_delay SECONDS
 * (whole seconds, as keepalived reads them).
 */
import type { LowerPriorityDraft } from '../draft.js';
import type { ConfNode } from './parser.js';
import { keywordOf, readOptionalBool, readUnsigned, singleArg, type Warn } from './values.js';

type Handler<D> = (node: ConfNode, draft: D) => void;

function lowerPriorityHandlers<D extends { lowerPriority?: LowerPriorityDraft }>(warn: Warn, prefix: '' | 'vrrp_'): Record<string, Handler<D>> {
  const target = (d: D): LowerPriorityDraft => (d.lowerPriority ??= {});
  return {
    [`${prefix}lower_prio_no_advert`]: (node, d) => {
      target(d).noAdvert = readOptionalBool(node, warn);
    },
    [`${prefix}garp_lower_prio_repeat`]: (node, d) => {
      target(d).garpRepeat = readUnsigned(singleArg(node, warn), keywordOf(node));
    },
    [`${prefix}garp_lower_prio_delay`]: (node, d) => {
      const value = readUnsigned(singleArg(node, warn), keywordOf(node));
      target(d).garpDelayMs = { ...value, value: value.value * 1000 };
    },
  };
}

export const instanceLowerPriorityHandlers = <D extends { lowerPriority?: LowerPriorityDraft }>(warn: Warn) => lowerPriorityHandlers<D>(warn, '');
export const globalLowerPriorityHandlers = <D extends { lowerPriority?: LowerPriorityDraft }>(warn: Warn) => lowerPriorityHandlers<D>(warn, 'vrrp_');
