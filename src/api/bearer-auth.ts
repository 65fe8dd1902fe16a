/**
 * Bearer-token access for the optional TCP listener (RFC 6750). The unix socket needs none: its
 * mode 0600 already limits it to root.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from './control-api.js';
import { sendJson } from './http.js';

/** Shorter tokens are guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_TOKEN_LENGTH = 16;

export function checkToken(token: string): string {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new RangeError(`API token must be at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}`);
  }
  if (/\s/.test(token)) throw new RangeError('API token must not contain blanks');
  return token;
}

/**
 * Compares in time independent of where the strings differ: both are hashed first, so neither
 * their content nor their length shows in the timing.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `handler` behind "Authorization: Bearer <token>"; anything else gets 401. */
export function withBearerToken(handler: RequestHandler, token: string): RequestHandler {
  checkToken(token);
  return (req, res) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (match === null || !tokensEqual(match[1] as string, token)) {
      const challenge = match === null ? 'Bearer realm="hotstandby"' : 'Bearer realm="hotstandby", error="invalid_token"';
      // Drain what the client sends so the connection stays usable for its next try.
      req.resume();
      sendJson(res, 401, { error: match === null ? 'Missing bearer token' : 'Invalid bearer token' }, { 'www-authenticate': challenge });
      return;
    }
    handler(req, res);
  };
}
