/**
 * What a master does when it hears a lower-priority advert (keepalived 2.2.7's
 * lower_prio_no_advert, garp_lower_prio_repeat and garp_lower_prio_delay): resolved once globally
 * (vrrp_* keywords) and then per instance, with keepalived's fallbacks — an instance that sets
 * nothing takes the global value; the global values default to vrrp_garp_master_repeat / _delay.
 */
import type { LowerPriorityDraft } from './draft.js';
import type { GarpConfig, LowerPriorityConfig } from './model.js';
import { checkDuration, checkInteger } from './validate-values.js';

/** Longest accepted delay for the second burst (a day; longer is a typo). */
const MAX_LOWER_PRIO_DELAY_MS = 86_400_000;

export function resolveLowerPriority(draft: LowerPriorityDraft | undefined, base: LowerPriorityConfig, prefix: string): LowerPriorityConfig {
  const d = draft ?? {};
  return {
    noAdvert: d.noAdvert?.value ?? base.noAdvert,
    // 0 is valid: no GARPs on a lower-priority advert (keepalived accepts 0).
    garpRepeat: d.garpRepeat ? checkInteger(d.garpRepeat, 0, 1_000_000, `${prefix}garpRepeat`, 'Repeat count') : base.garpRepeat,
    garpDelayMs: d.garpDelayMs ? checkDuration(d.garpDelayMs, 0, MAX_LOWER_PRIO_DELAY_MS, `${prefix}garpDelay`, 'Delay') : base.garpDelayMs,
  };
}

/** The global values; unset GARP ones follow the global GARP settings, as in keepalived. */
export function resolveGlobalLowerPriority(draft: LowerPriorityDraft | undefined, garp: GarpConfig): LowerPriorityConfig {
  return resolveLowerPriority(draft, { noAdvert: false, garpRepeat: garp.masterRepeat, garpDelayMs: garp.masterDelayMs }, 'global.lowerPriority.');
}
