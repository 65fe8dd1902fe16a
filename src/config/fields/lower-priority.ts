/**
 * What a master does when it hears a lower-priority advert (keepalived 2.2.7): answer at once
 * (unless lower_prio_no_advert, RFC 5798 §6.4.3) and send GARPs / NAs so clients that followed
 * the other side of a healed split come back (garp_lower_prio_repeat / _delay). One table for
 * instances (defaults from the global values) and one for global_defs (vrrp_* keywords; the GARP
 * ones default to vrrp_garp_master_repeat / _delay, as in keepalived).
 */
import { MAX_GARP_REPEAT, MAX_GARP_TIMER_MS } from '../defaults.js';
import type { FieldSpec } from './field.js';

export const INSTANCE_LOWER_PRIORITY_FIELDS = [
  {
    name: 'noAdvert',
    yaml: 'noAdvert',
    keepalived: [{ word: 'lower_prio_no_advert', read: 'optional-bool' }],
    type: { kind: 'boolean' },
    defaultDoc: '`global.lowerPriority.noAdvert`',
    doc: 'discard a lower-priority advert without answering (RFC 5798 §6.4.3); by default a master answers at once so the other router yields (keepalived)',
  },
  {
    name: 'garpRepeat',
    yaml: 'garpRepeat',
    keepalived: [{ word: 'garp_lower_prio_repeat', read: 'unsigned' }],
    type: { kind: 'integer', min: 0, max: MAX_GARP_REPEAT },
    label: 'Repeat count',
    defaultDoc: '`global.lowerPriority.garpRepeat`',
    doc: 'GARPs / NAs per VIP sent at once when a lower priority is heard (0 = none)',
  },
  {
    name: 'garpDelayMs',
    yaml: 'garpDelay',
    keepalived: [{ word: 'garp_lower_prio_delay', read: 'whole-seconds' }],
    type: { kind: 'duration', minMs: 0, maxMs: MAX_GARP_TIMER_MS },
    label: 'Delay',
    defaultDoc: '`global.lowerPriority.garpDelay`',
    doc: 'a second such burst after this long (0 = none)',
  },
] as const satisfies readonly FieldSpec[];

export const GLOBAL_LOWER_PRIORITY_FIELDS = [
  { ...INSTANCE_LOWER_PRIORITY_FIELDS[0], keepalived: [{ word: 'vrrp_lower_prio_no_advert', read: 'optional-bool' }], default: false, defaultDoc: undefined },
  { ...INSTANCE_LOWER_PRIORITY_FIELDS[1], keepalived: [{ word: 'vrrp_garp_lower_prio_repeat', read: 'unsigned' }], defaultDoc: '`global.garp.masterRepeat`' },
  { ...INSTANCE_LOWER_PRIORITY_FIELDS[2], keepalived: [{ word: 'vrrp_garp_lower_prio_delay', read: 'whole-seconds' }], defaultDoc: '`global.garp.masterDelay`' },
] as const satisfies readonly FieldSpec[];
