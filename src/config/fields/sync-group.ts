/**
 * A sync group (YAML `syncGroups.<name>`, keepalived `vrrp_sync_group NAME`).
 */
import type { FieldSpec } from './field.js';

const NOTIFY_DOC = 'a second one of a kind is ignored (warning), as keepalived does';

export const SYNC_GROUP_FIELDS = [
  {
    name: 'instances',
    yaml: 'instances',
    yamlHints: ['members'],
    keepalived: [{ word: 'group', read: 'custom', note: '`group { NAMES... }` (any number per line)' }],
    type: { kind: 'custom', text: 'list of instance names' },
    defaultDoc: 'required',
    doc: 'each instance in at most one group',
  },
  {
    name: 'notify',
    yaml: 'notify',
    keepalived: [
      { word: 'notify_master', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify_backup', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify_fault', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify_stop', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify', read: 'custom', note: NOTIFY_DOC },
    ],
    type: { kind: 'custom', text: "like an instance's `notify`" },
    defaultDoc: 'none',
    doc: '`any` gets `GROUP <name> <state> <priority>`',
  },
  {
    name: 'smtpAlert',
    yaml: 'smtpAlert',
    keepalived: [{ word: 'smtp_alert', read: 'optional-bool', note: '`[BOOL]`' }],
    type: { kind: 'boolean' },
    defaultDoc: '`global.mail.alert`',
    doc: "mail the group's transitions (docs/notifications.md)",
  },
] as const satisfies readonly FieldSpec[];
