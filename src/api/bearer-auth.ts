/**
 * Tokens of the optional TCP listener (RFC 6750 bearer tokens, also what a browser logs in with;
 * web-access.ts applies them). The unix socket needs none: its mode 0600 limits it to root.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

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
