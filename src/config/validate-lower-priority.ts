/**
 * What a master does when it hears a lower-priority advert (fields/lower-priority.ts), with
 * keepalived's fallbacks: an instance that sets nothing takes the global value; the global GARP
 * values default to the global vrrp_garp_master_repeat / _delay (keepalived vrrp_complete_init).
 */
import type { LowerPriorityDraft } from './draft.js';
import { GLOBAL_LOWER_PRIORITY_FIELDS, INSTANCE_LOWER_PRIORITY_FIELDS } from './fields/lower-priority.js';
import type { GarpConfig, LowerPriorityConfig } from './model.js';
import { optionalFieldValue } from './resolve-field.js';

/** The values `draft` sets over `base`; keys are named `${prefix}<field>` in errors. */
export function resolveLowerPriority(draft: LowerPriorityDraft, base: LowerPriorityConfig, prefix: string): LowerPriorityConfig {
  const table = prefix.startsWith('global') ? GLOBAL_LOWER_PRIORITY_FIELDS : INSTANCE_LOWER_PRIORITY_FIELDS;
  return {
    noAdvert: (draft.noAdvert && optionalFieldValue(table, 'noAdvert', draft, prefix)) ?? base.noAdvert,
    garpRepeat: (draft.garpRepeat && optionalFieldValue(table, 'garpRepeat', draft, prefix)) ?? base.garpRepeat,
    garpDelayMs: (draft.garpDelayMs && optionalFieldValue(table, 'garpDelayMs', draft, prefix)) ?? base.garpDelayMs,
  };
}

/** The global values, the instances' defaults. */
export function resolveGlobalLowerPriority(draft: LowerPriorityDraft, garp: GarpConfig): LowerPriorityConfig {
  return resolveLowerPriority(draft, { noAdvert: false, garpRepeat: garp.masterRepeat, garpDelayMs: garp.masterDelayMs }, 'global.lowerPriority.');
}
