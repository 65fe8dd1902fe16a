/**
 * Who sent a request, as the listener that accepted it established: the role it may use and a
 * name for the event log ("admin token from 10.0.0.5", "control socket"). The unix socket is
 * root only (mode 0600), so its requests are admin without a token.
 */
import type { IncomingMessage } from 'node:http';

export type Role = 'read' | 'admin';

export interface RequestIdentity {
  role: Role;
  /** Names who acted in the event log. */
  actor: string;
  /** The browser session's CSRF token, for the page to send back with actions. */
  csrfToken?: string;
  /** The request came through the TCP listener (the page offers log out there). */
  tcp?: boolean;
}

const SOCKET_IDENTITY: RequestIdentity = Object.freeze({ role: 'admin', actor: 'control socket' });
const identities = new WeakMap<IncomingMessage, RequestIdentity>();

export function setIdentity(req: IncomingMessage, identity: RequestIdentity): void {
  identities.set(req, identity);
}

export function identityOf(req: IncomingMessage): RequestIdentity {
  return identities.get(req) ?? SOCKET_IDENTITY;
}

/**
 * The actor for the event log: the identity's name, with what the client says of itself (a
 * `"actor"` string in the body, e.g. the login name the CLI runs as) in brackets: a claim, not
 * proof, so it never replaces the authenticated name.
 */
export function actorOf(req: IncomingMessage, body: unknown): string {
  const base = identityOf(req).actor;
  const claim = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).actor : undefined;
  if (claim === undefined) return base;
  if (typeof claim !== 'string' || !/^[\w.@ -]{1,64}$/.test(claim)) {
    throw new TypeError('"actor" must be a name of 1 to 64 letters, digits, spaces or . _ @ -');
  }
  return `${base} (${claim})`;
}
