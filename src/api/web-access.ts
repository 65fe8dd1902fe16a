/**
 * Access rules for requests a browser can send. The TCP listener needs a token (read or admin),
 * as a bearer header (scripts) or a session cookie after logging in (the dashboard). Both
 * listeners refuse what a hostile web page could make a browser send:
 *
 * - a Host that is not ours (DNS rebinding: evil.example resolving to 127.0.0.1);
 * - an action (any method but GET) from another origin: Origin must be ours and Sec-Fetch-Site
 *   same-origin, when the browser sends them (scripts send neither);
 * - an action on a session cookie without the session's CSRF token in X-CSRF-Token (a cookie
 *   alone proves nothing: the browser attaches it whoever made the page).
 *
 * The unix socket is root only; with `ssh -L` a browser reaches it as http://localhost:PORT, so
 * it gets the Host and Origin rules too, without tokens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { tokensEqual } from './bearer-auth.js';
import type { RequestHandler } from './control-api.js';
import { HttpError, readJsonBody, sendJson } from './http.js';
import { setIdentity, type Role } from './request-identity.js';
import { clearedSessionCookie, cookieValue, sessionCookie, sessionCookieName, type Sessions } from './sessions.js';

export const CSRF_HEADER = 'x-csrf-token';
/** Pages and files anyone may fetch: the login page and the browser modules it loads. */
const PUBLIC_PATH = /^\/ui\/(?:login|assets\/[\w.-]+)$/;
/** The dashboard's pages: without a session, the browser is sent to log in. */
const PAGE_PATH = /^\/(?:ui\/?)?$/;

export interface WebAccessOptions {
  readToken?: string;
  adminToken?: string;
  /** Host names (no port) the listener answers to. */
  hosts: readonly string[];
  /** Served over TLS: cookies get Secure, the origin is https. */
  tls: boolean;
  sessions: Sessions;
}

/** The host name of a Host header, lower case, without port or IPv6 brackets. */
export function hostName(header: string | undefined): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9._-]+))(?::\d{1,5})?$/i.exec(header?.trim() ?? '');
  return match ? (match[1] ?? match[2] ?? '').toLowerCase() : undefined;
}

/** Names the TCP listener answers to: its address, localhost for loopback, and the configured ones. */
export function listenerHosts(address: string, allowed: readonly string[]): string[] {
  const loopback = address === '::1' || address.startsWith('127.');
  return [address, ...(loopback ? ['localhost', '127.0.0.1', '::1'] : []), ...allowed.map((h) => h.toLowerCase())];
}

/**
 * The socket: names no attacker can point at us through public DNS: loopback addresses,
 * localhost, and single-label names (curl's http://x/ convention, the CLI's).
 */
export function socketHostAllowed(name: string): boolean {
  if (isIP(name) !== 0) return name === '::1' || name.startsWith('127.');
  return !name.includes('.');
}

function checkHost(req: IncomingMessage, allowed: (name: string) => boolean): void {
  const header = req.headers.host;
  if (header === undefined) return; // HTTP/1.0 clients; a browser always sends Host
  const name = hostName(header);
  if (name === undefined || !allowed(name)) throw new HttpError(403, `Host "${header}" is not a name this daemon answers to (DNS rebinding guard)`);
}

function isAction(req: IncomingMessage): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD';
}

/** Refuses an action a browser sent from another origin. */
function checkSameOrigin(req: IncomingMessage, tls: boolean): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${tls ? 'https' : 'http'}://${req.headers.host ?? ''}`) {
    throw new HttpError(403, `Cross-origin request refused: Origin ${origin} is not this dashboard`);
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, `Cross-site request refused (Sec-Fetch-Site: ${String(site)})`);
  }
}

/** The unix socket's handler, with the Host and Origin rules. */
export function withSocketGuard(handler: RequestHandler): RequestHandler {
  return guarded((req, res) => {
    checkHost(req, socketHostAllowed);
    if (isAction(req)) checkSameOrigin(req, false);
    handler(req, res);
  });
}

/** The TCP listener's handler: Host, tokens and sessions, roles, Origin and CSRF. */
export function withWebAccess(handler: RequestHandler, options: WebAccessOptions): RequestHandler {
  const hosts = new Set(options.hosts);
  const roleOf = (token: string): Role | undefined => {
    // Both compared every time, so the timing does not say which one matched.
    const admin = options.adminToken !== undefined && tokensEqual(token, options.adminToken);
    const read = options.readToken !== undefined && tokensEqual(token, options.readToken);
    return admin ? 'admin' : read ? 'read' : undefined;
  };
  return guarded(async (req, res) => {
    checkHost(req, (name) => hosts.has(name));
    const action = isAction(req);
    if (action) checkSameOrigin(req, options.tls);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const from = req.socket?.remoteAddress ?? 'unknown address';
    if (path === '/ui/login' && req.method === 'POST') return login(req, res, options, roleOf, from);

    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      const role = match ? roleOf(match[1] as string) : undefined;
      if (role === undefined) throw unauthorized(match === null ? 'Missing bearer token' : 'Invalid bearer token', match !== null);
      if (action && role !== 'admin') throw new HttpError(403, 'The read token cannot act; use the admin token');
      setIdentity(req, { role, actor: `${role} token from ${from}`, tcp: true });
      return handler(req, res);
    }

    const cookieName = sessionCookieName(req.headers.host);
    const session = options.sessions.find(cookieValue(req.headers.cookie, cookieName));
    if (session === undefined) {
      if (PUBLIC_PATH.test(path) && !action) {
        setIdentity(req, { role: 'read', actor: 'anonymous', tcp: true });
        return handler(req, res);
      }
      if (PAGE_PATH.test(path) && !action) {
        req.resume();
        res.writeHead(303, { location: '/ui/login', 'cache-control': 'no-store' }).end();
        return;
      }
      throw unauthorized('Missing bearer token', false);
    }
    if (action) {
      // A browser always sends one of the two on a POST; their absence means a forged request.
      if (req.headers.origin === undefined && req.headers['sec-fetch-site'] === undefined) {
        throw new HttpError(403, 'Action refused: the request says neither Origin nor Sec-Fetch-Site');
      }
      const csrf = req.headers[CSRF_HEADER];
      if (typeof csrf !== 'string' || !tokensEqual(csrf, session.csrfToken)) throw new HttpError(403, `Missing or wrong CSRF token (${CSRF_HEADER} header)`);
      if (path === '/ui/logout') {
        options.sessions.end(session.id);
        req.resume();
        sendJson(res, 200, { loggedOut: true }, { 'set-cookie': clearedSessionCookie(cookieName, options.tls) });
        return;
      }
      if (session.role !== 'admin') throw new HttpError(403, 'Logged in with the read token: log in with the admin token to act');
    }
    setIdentity(req, { role: session.role, actor: `browser session (${session.role}) from ${session.from}`, csrfToken: session.csrfToken, tcp: true });
    handler(req, res);
  });
}

async function login(req: IncomingMessage, res: ServerResponse, options: WebAccessOptions, roleOf: (token: string) => Role | undefined, from: string): Promise<void> {
  const body = await readJsonBody(req, 4096);
  const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).token : undefined;
  if (typeof token !== 'string' || token === '') throw new HttpError(400, 'Request body must be a JSON object like {"token": "..."}');
  const role = roleOf(token);
  if (role === undefined) throw new HttpError(401, 'Wrong token');
  const session = options.sessions.create(role, from);
  sendJson(res, 200, { role }, { 'set-cookie': sessionCookie(sessionCookieName(req.headers.host), session.id, options.tls) });
}

function unauthorized(message: string, invalid: boolean): HttpError {
  const challenge = invalid ? 'Bearer realm="hotstandby", error="invalid_token"' : 'Bearer realm="hotstandby"';
  return new HttpError(401, message, { 'www-authenticate': challenge });
}

/** Runs `check`; a refusal is answered as JSON, and the request body drained so the connection stays usable. */
function guarded(check: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): RequestHandler {
  return (req, res) => {
    const refuse = (err: unknown): void => {
      if (res.headersSent) return void res.destroy();
      if (!req.readableEnded) req.resume();
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message }, err.headers);
      sendJson(res, 500, { error: `Internal error: ${err instanceof Error ? err.message : String(err)}` });
    };
    try {
      const done = check(req, res);
      if (done instanceof Promise) done.catch(refuse);
    } catch (err) {
      refuse(err);
    }
  };
}
