/**
 * Mail alerts (YAML `global.mail:`, keepalived's global_defs email keywords): who gets keepalived's
 * `smtp_alert` mails, from whom, through which server. Which instances and sync groups mail is
 * their own `smtpAlert` (default `mail.alert`). Semantics: docs/notifications.md.
 */
import type { FieldSpec } from './field.js';

/** keepalived 2.2.7 accepts 0..UINT_MAX seconds and makes 0 one second; an hour is plenty. */
export const MAX_SMTP_CONNECT_TIMEOUT_MS = 3_600_000;
export const DEFAULT_SMTP_CONNECT_TIMEOUT_MS = 30_000;

export const MAIL_FIELDS = [
  {
    name: 'to',
    yaml: 'to',
    yamlHints: ['notificationEmail', 'recipients'],
    keepalived: [{ word: 'notification_email', read: 'custom', note: '`notification_email { ADDRESS... }`' }],
    type: { kind: 'custom', text: 'list of mail addresses' },
    defaultDoc: 'none (no mail)',
    doc: 'recipients of every alert',
  },
  {
    name: 'from',
    yaml: 'from',
    keepalived: [{ word: 'notification_email_from', read: 'word' }],
    type: { kind: 'string' },
    typeDoc: 'mail address',
    defaultDoc: '`hotstandby@` + host name',
    doc: 'the sender (`MAIL FROM` and `From:`)',
  },
  {
    name: 'server',
    yaml: 'server',
    keepalived: [{ word: 'smtp_server', read: 'custom', note: '`smtp_server HOST [PORT]`' }],
    type: { kind: 'string' },
    typeDoc: '`HOST`, `HOST PORT` or `HOST:PORT`',
    defaultDoc: 'none (no mail)',
    doc: 'the SMTP relay (port 25 unless given); plain SMTP as keepalived, or STARTTLS with `starttls`',
  },
  {
    name: 'heloName',
    yaml: 'heloName',
    keepalived: [{ word: 'smtp_helo_name', read: 'word' }],
    type: { kind: 'string' },
    defaultDoc: 'the host name',
    doc: 'the name sent in `EHLO` / `HELO`',
  },
  {
    name: 'connectTimeoutMs',
    yaml: 'connectTimeout',
    keepalived: [{ word: 'smtp_connect_timeout', read: 'whole-seconds', note: '0 means 1 s, as in keepalived' }],
    type: { kind: 'duration', minMs: 0, maxMs: MAX_SMTP_CONNECT_TIMEOUT_MS },
    label: 'SMTP connect timeout',
    default: DEFAULT_SMTP_CONNECT_TIMEOUT_MS,
    doc: 'for the connection and for each reply of the server',
  },
  {
    name: 'alert',
    yaml: 'alert',
    keepalived: [{ word: 'smtp_alert', read: 'optional-bool' }],
    type: { kind: 'boolean' },
    default: false,
    doc: "the default of every instance's and sync group's `smtpAlert`",
  },
  {
    name: 'alertVrrp',
    keepalived: [{ word: 'smtp_alert_vrrp', read: 'optional-bool', note: 'overrides `smtp_alert` for VRRP instances and sync groups' }],
    type: { kind: 'boolean' },
    doc: 'keepalived only',
  },
  {
    name: 'faults',
    yaml: 'faults',
    keepalived: [{ word: 'no_email_faults', read: 'flag-false' }],
    type: { kind: 'boolean' },
    default: true,
    doc: 'mail transitions into FAULT and the recoveries from it',
  },
  {
    name: 'starttls',
    yaml: 'starttls',
    type: { kind: 'boolean' },
    default: false,
    doc: 'require STARTTLS and a server certificate valid for `server` (hotstandby only)',
  },
  {
    name: 'caFile',
    yaml: 'caFile',
    type: { kind: 'string' },
    typeDoc: 'absolute path',
    defaultDoc: "the system's CAs",
    doc: 'CA certificates that sign the server certificate, with `starttls` (hotstandby only)',
  },
] as const satisfies readonly FieldSpec[];
