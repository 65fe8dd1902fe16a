/**
 * keepalived's smtp_alert of an instance or sync group: its own setting, else the global default
 * (smtp_alert_vrrp, else smtp_alert, else off). Set in the model only when on, so configurations
 * without mail look as they did.
 */
import type { Located } from './draft.js';
import { mailConfigured } from './mail.js';
import type { GlobalConfig } from './model.js';
import type { WarningList } from './validate-values.js';

export function smtpAlertOf(field: Located<boolean> | undefined, global: GlobalConfig, who: string, warnings: WarningList): { smtpAlert?: true } {
  const on = field?.value ?? global.mail?.alert ?? false;
  if (!on) return {};
  // keepalived sends nothing then, silently; say it once where the instance asked for it.
  if (field?.value === true && !mailConfigured(global.mail)) {
    warnings.add(`${who}: smtp_alert sends no mail without recipients and a server (global.mail.to and .server; keepalived notification_email and smtp_server)`, field.source);
  }
  return { smtpAlert: true };
}
