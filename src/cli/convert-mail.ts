/**
 * `convert`: keepalived's email keywords as YAML `global.mail` (only what differs from the
 * defaults; the resolved smtp_alert default becomes `alert`, so instances and groups that rely on
 * it keep it). Webhooks and peerApi have no keepalived form and are written as they are.
 */
import { DEFAULT_SMTP_CONNECT_TIMEOUT_MS } from '../config/fields/mail.js';
import { DEFAULT_SMTP_PORT, type MailConfig } from '../config/mail.js';
import { formatDuration } from '../config/duration.js';

export function mailSection(mail: MailConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (mail.to.length > 0) out.to = [...mail.to];
  if (mail.from !== undefined) out.from = mail.from;
  if (mail.server !== undefined) {
    const host = mail.server.host.includes(':') ? `[${mail.server.host}]` : mail.server.host;
    out.server = mail.server.port === DEFAULT_SMTP_PORT ? host : `${host}:${mail.server.port}`;
  }
  if (mail.heloName !== undefined) out.heloName = mail.heloName;
  if (mail.connectTimeoutMs !== DEFAULT_SMTP_CONNECT_TIMEOUT_MS) out.connectTimeout = formatDuration(mail.connectTimeoutMs);
  if (mail.alert) out.alert = true;
  if (!mail.faults) out.faults = false;
  if (mail.starttls) out.starttls = true;
  if (mail.caFile !== undefined) out.caFile = mail.caFile;
  return out;
}
