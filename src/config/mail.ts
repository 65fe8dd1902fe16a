/**
 * global.mail (keepalived's notification_email, notification_email_from, smtp_server,
 * smtp_helo_name, smtp_connect_timeout, smtp_alert, smtp_alert_vrrp, no_email_faults): resolved
 * into the mail settings the notify subsystem uses. keepalived sends nothing without recipients
 * and a server; so do we, with a warning when an instance asks for mail that cannot go.
 */
import { parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import { keyOf, type Located } from './draft.js';
import type { DraftOf } from './fields/field.js';
import { MAIL_FIELDS } from './fields/mail.js';
import { fieldValue } from './resolve-field.js';
import { checkAbsolutePath } from './validate-values.js';

export const DEFAULT_SMTP_PORT = 25;

export interface MailConfig {
  /** Recipients; empty: no mail is sent (keepalived). */
  to: string[];
  /** Sender; unset: hotstandby@<host name>, filled in where the mail is sent. */
  from?: string;
  /** The SMTP relay; unset: no mail is sent (keepalived). */
  server?: { host: string; port: number };
  /** EHLO / HELO name; unset: the host name. */
  heloName?: string;
  /** Connection and per-reply timeout (keepalived smtp_connect_timeout; 0 is taken as 1 s, as keepalived does). */
  connectTimeoutMs: number;
  /** The default of instances' and sync groups' smtpAlert (smtp_alert_vrrp, else smtp_alert). */
  alert: boolean;
  /** Mail FAULT transitions and recoveries (false: keepalived no_email_faults). */
  faults: boolean;
  /** Require STARTTLS with a verified certificate. */
  starttls: boolean;
  caFile?: string;
}

/** The draft of global.mail; `to` is a list (custom reader / notification_email block). */
export interface MailDraft extends DraftOf<typeof MAIL_FIELDS> {
  to?: Array<Located<string>>;
}

/**
 * A mail address as SMTP takes it in `MAIL FROM:<...>` / `RCPT TO:<...>`: no blanks, angle
 * brackets, quotes or control characters, at most one @. keepalived takes any word, and its
 * samples use local names ("acassen"), which a local relay completes; so do we.
 */
export function checkMailAddress(field: Located<string>, key: string): string {
  const text = field.value.trim();
  if (!/^[^\s<>()",;@\\]+(@[^\s<>()",;@\\]+)?$/.test(text) || /[\x00-\x1f\x7f]/.test(text)) {
    throw new ConfigError(`"${field.value}" is not a mail address (local@domain, or a local name)`, field.source, keyOf(field, key));
  }
  return text;
}

/** "HOST", "HOST PORT", "HOST:PORT", "[V6]:PORT", "V6" (keepalived: smtp_server HOST [PORT]). */
export function parseSmtpServer(field: Located<string>, key = 'global.mail.server'): { host: string; port: number } {
  const text = field.value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const spaced = /^(\S+)\s+(\S+)$/.exec(text);
  const colon = /^([^:\s]+):(\d+)$/.exec(text);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : spaced ? [spaced[1], spaced[2]] : colon ? [colon[1], colon[2]] : [text, undefined];
  const name = host ?? '';
  if (!parseIpAddress(name) && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(name)) {
    throw new ConfigError(`"${field.value}" is not a host name or IP address with an optional port, like mail.example.net 25`, field.source, keyOf(field, key));
  }
  const number = port === undefined ? DEFAULT_SMTP_PORT : Number(port);
  if (!/^\d*$/.test(port ?? '') || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new ConfigError(`SMTP port "${port ?? ''}" is out of range: expected 1..65535`, field.source, keyOf(field, key));
  }
  return { host: parseIpAddress(name)?.address ?? name, port: number };
}

export function resolveMail(draft: MailDraft | undefined): MailConfig {
  const d: MailDraft = draft ?? {};
  const timeout = fieldValue(MAIL_FIELDS, 'connectTimeoutMs', d, 'global.mail.');
  const config: MailConfig = {
    to: (d.to ?? []).map((address) => checkMailAddress(address, 'global.mail.to')),
    connectTimeoutMs: timeout === 0 ? 1000 : timeout,
    alert: d.alertVrrp?.value ?? fieldValue(MAIL_FIELDS, 'alert', d, 'global.mail.'),
    faults: fieldValue(MAIL_FIELDS, 'faults', d, 'global.mail.'),
    starttls: fieldValue(MAIL_FIELDS, 'starttls', d, 'global.mail.'),
  };
  if (d.from) config.from = checkMailAddress(d.from, 'global.mail.from');
  if (d.server) config.server = parseSmtpServer(d.server);
  if (d.heloName) {
    if (!/^[\x21-\x7e]+$/.test(d.heloName.value)) throw new ConfigError(`"${d.heloName.value}" is not a HELO name (printable, no blanks)`, d.heloName.source, keyOf(d.heloName, 'global.mail.heloName'));
    config.heloName = d.heloName.value;
  }
  if (d.caFile) config.caFile = checkAbsolutePath(d.caFile, 'global.mail.caFile', 'CA file');
  return config;
}

/** Mail can go: recipients and a server (keepalived sends nothing otherwise). */
export function mailConfigured(mail: MailConfig | undefined): boolean {
  return mail !== undefined && mail.to.length > 0 && mail.server !== undefined;
}
