/**
 * Browser sessions of the TCP listener: a random id in an HttpOnly, SameSite=Strict cookie, a
 * role, and a CSRF token the page sends back in a header with every action. Kept in memory (a
 * restart logs everyone out), bounded, and expired by an injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from './request-identity.js';

export interface Session {
  id: string;
  role: Role;
  csrfToken: string;
  /** Where the login came from, for the event log. */
  from: string;
  /** Monotonic ms. */
  lastSeen: number;
  created: number;
}

export interface SessionOptions {
  /** Monotonic milliseconds. */
  now: () => number;
  /** A session unused this long ends (default 1 h). */
  idleMs?: number;
  /** A session ends this long after login however used (default 12 h). */
  maxAgeMs?: number;
  /** Most sessions kept; the oldest is dropped first (default 256). */
  capacity?: number;
}

export const SESSION_COOKIE = 'hs_session';

/**
 * The cookie's name for the port the browser sees (from the Host header). Cookies ignore ports,
 * so two daemons forwarded to localhost:8001 and localhost:8002 would otherwise overwrite each
 * other's session at every login.
 */
export function sessionCookieName(hostHeader: string | undefined): string {
  const port = /:(\d{1,5})$/.exec(hostHeader ?? '')?.[1];
  return port === undefined ? SESSION_COOKIE : `${SESSION_COOKIE}_${port}`;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly options: SessionOptions) {}

  get size(): number {
    return this.byId.size;
  }

  create(role: Role, from: string): Session {
    const now = this.options.now();
    const session: Session = { id: token(), role, csrfToken: token(), from, lastSeen: now, created: now };
    // Maps iterate in insertion order: the first key is the oldest session.
    while (this.byId.size >= (this.options.capacity ?? 256)) this.byId.delete(this.byId.keys().next().value as string);
    this.byId.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle timer restarted), else undefined. */
  find(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.byId.get(id);
    if (session === undefined) return undefined;
    const now = this.options.now();
    if (now - session.lastSeen > (this.options.idleMs ?? 3_600_000) || now - session.created > (this.options.maxAgeMs ?? 43_200_000)) {
      this.byId.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.byId.delete(id);
  }
}

function token(): string {
  return randomBytes(32).toString('base64url');
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export function sessionCookie(name: string, id: string, secure: boolean): string {
  return `${name}=${id}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(name: string, secure: boolean): string {
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
