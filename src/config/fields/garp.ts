/**
 * Gratuitous ARP / unsolicited NA timers: one table for global_defs (keepalived's vrrp_garp_*
 * keywords, with defaults) and one for instances (garp_* keywords; defaults from the global ones).
 */
import { DEFAULT_GARP, MAX_GARP_REPEAT, MAX_GARP_TIMER_MS } from '../defaults.js';
import { fieldOf, globalTwin, type FieldSpec } from './field.js';

const TIMER = { kind: 'duration', minMs: 0, maxMs: MAX_GARP_TIMER_MS } as const;
const REPEAT = { kind: 'integer', min: 0, max: MAX_GARP_REPEAT } as const;
const REPEAT_DOC = '0 means 1, as in keepalived';

export const INSTANCE_GARP_FIELDS = [
  {
    name: 'masterDelayMs',
    yaml: 'masterDelay',
    yamlHints: ['delay'],
    keepalived: [{ word: 'garp_master_delay', read: 'whole-seconds' }],
    type: TIMER,
    label: 'Delay',
    defaultDoc: '`global.garp.masterDelay`',
    doc: 'second burst after becoming master (0 = none)',
  },
  {
    name: 'masterRepeat',
    yaml: 'masterRepeat',
    yamlHints: ['repeat'],
    keepalived: [{ word: 'garp_master_repeat', read: 'unsigned' }],
    type: REPEAT,
    label: 'Repeat count',
    defaultDoc: '`global.garp.masterRepeat`',
    doc: `packets per burst; ${REPEAT_DOC}`,
  },
  {
    name: 'masterRefreshMs',
    yaml: 'masterRefresh',
    keepalived: [{ word: 'garp_master_refresh', read: 'whole-seconds' }],
    type: TIMER,
    label: 'Delay',
    defaultDoc: '`global.garp.masterRefresh`',
    doc: 'periodic refresh while master (0 = off)',
  },
  {
    name: 'masterRefreshRepeat',
    yaml: 'masterRefreshRepeat',
    keepalived: [{ word: 'garp_master_refresh_repeat', read: 'unsigned' }],
    type: REPEAT,
    label: 'Repeat count',
    defaultDoc: '`global.garp.masterRefreshRepeat`',
    doc: `packets per refresh; ${REPEAT_DOC}`,
  },
  {
    name: 'intervalMs',
    yaml: 'interval',
    type: TIMER,
    label: 'Delay',
    defaultDoc: '`global.garp.interval` (IPv4) / `global.garp.naInterval` (IPv6)',
    doc: 'gap between the packets of a burst, whatever the family',
  },
] as const satisfies readonly FieldSpec[];

/** The global twin of an instance field, with keepalived's default. */
function globalGarpField(spec: FieldSpec): FieldSpec {
  return globalTwin(spec, DEFAULT_GARP[spec.name as keyof typeof DEFAULT_GARP]);
}

/** The burst gap of IPv6 instances, a global setting only (instances have one gap, intervalMs). */
export const GLOBAL_ONLY_GARP_FIELDS = [
  {
    name: 'naIntervalMs',
    yaml: 'naInterval',
    keepalived: [{ word: 'vrrp_gna_interval', read: 'seconds' }],
    type: TIMER,
    label: 'Interval',
    default: 0,
    doc: 'the same for IPv6 instances (neighbour adverts)',
  },
] as const satisfies readonly FieldSpec[];

/** global_defs: the instance fields with keepalived's vrrp_garp_* keywords and defaults, and the IPv6 gap. */
export const GLOBAL_GARP_FIELDS: readonly FieldSpec[] = [
  ...INSTANCE_GARP_FIELDS.filter((f) => f.name !== 'intervalMs').map(globalGarpField),
  {
    ...globalGarpField(fieldOf(INSTANCE_GARP_FIELDS, 'intervalMs')),
    keepalived: [{ word: 'vrrp_garp_interval', read: 'seconds' }],
    doc: 'gap between the packets of a burst of an IPv4 instance (ARP)',
  },
  ...GLOBAL_ONLY_GARP_FIELDS,
];
