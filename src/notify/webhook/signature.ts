/**
 * Webhook signatures: HMAC-SHA256 (RFC 2104) of `<timestamp>.<body>` with the webhook's secret,
 * sent as `X-Hotstandby-Signature: sha256=<hex>` beside `X-Hotstandby-Timestamp: <unix seconds>`.
 * The timestamp is inside what is signed, so a receiver that refuses old timestamps refuses a
 * replayed request (the scheme of Stripe and Slack). Verification: docs/notifications.md.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hotstandby-signature';
export const TIMESTAMP_HEADER = 'x-hotstandby-timestamp';
/** A receiver's default window for the timestamp. */
export const DEFAULT_TOLERANCE_S = 300;

export function signatureOf(secret: string, timestamp: number, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver does: the signature matches the body and timestamp (compared in constant time),
 * and the timestamp is within `toleranceS` of `nowS`.
 */
export function verifySignature(secret: string, body: string | Buffer, signature: string | undefined, timestamp: string | undefined, nowS: number, toleranceS = DEFAULT_TOLERANCE_S): Verdict {
  if (signature === undefined || timestamp === undefined) return { ok: false, reason: 'signature or timestamp header missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const ts = Number(timestamp);
  if (Math.abs(nowS - ts) > toleranceS) return { ok: false, reason: `timestamp ${ts} is more than ${toleranceS} s from now (replay?)` };
  const expected = Buffer.from(signatureOf(secret, ts, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
