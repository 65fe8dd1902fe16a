/**
 * The running configuration as the API shows it: secrets replaced, so /v1/config can be pasted
 * into a ticket. (The VRRPv2 password is on the wire in clear anyway, but it need not be in logs.)
 */
import type { HotstandbyConfig } from '../config/model.js';

export const REDACTED = '<redacted>';

/** A plain-object copy with `authPass` values, the web tokens, webhook secrets, keys named *password* and passwords inside URLs replaced. */
export function redactConfig(config: HotstandbyConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) => {
      if ((key === 'authPass' || key === 'readToken' || key === 'adminToken' || key === 'secret') && typeof value === 'string') return REDACTED;
      // Resource settings: postgresql's superuserPassword / replicationPassword, and any kind's *password*.
      if (/password/i.test(key) && typeof value === 'string') return REDACTED;
      if (key === 'url' && typeof value === 'string') return redactUrl(value);
      return value;
    }),
  ) as unknown;
}

function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = 'redacted';
    return url.toString();
  } catch {
    return text;
  }
}
