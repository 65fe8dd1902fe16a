/**
 * Where the control API listens: a unix socket in the runtime directory, mode 0600 (root only),
 * and optionally TCP behind tokens (global.web; off unless configured), over TLS when given a
 * certificate. Both refuse what a hostile web page could make a browser send (web-access.ts).
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { checkToken } from './bearer-auth.js';
import type { RequestHandler } from './control-api.js';
import { Sessions } from './sessions.js';
import { listenerHosts, withSocketGuard, withWebAccess } from './web-access.js';

export { ControlClientError, getJson, requestJson, followEvents } from './control-client.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

export function controlSocketPath(runtimeDir: string): string {
  return join(runtimeDir, CONTROL_SOCKET_NAME);
}

export async function listenControlSocket(handler: RequestHandler, socketPath: string): Promise<Server> {
  // A socket file left by a daemon that died would make listen fail with EADDRINUSE.
  await rm(socketPath, { force: true });
  const server = createServer(withSocketGuard(handler));
  // The socket is created by bind() in listen(): with umask 0177 it is 0600 from the first
  // moment, so no one can connect in the gap before the chmod below.
  const previousUmask = process.umask(0o177);
  try {
    await listen(server, () => server.listen(socketPath));
  } finally {
    process.umask(previousUmask);
  }
  await chmod(socketPath, 0o600);
  return server;
}

export interface TcpListenOptions {
  /** Address to bind, e.g. 127.0.0.1 or a management address; never a wildcard by default. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The admin token (the name it had before roles); at least 16 characters. */
  token?: string;
  adminToken?: string;
  /** May read everything, act on nothing. */
  readToken?: string;
  /** Host header names accepted besides the address (and localhost on loopback). */
  allowedHosts?: readonly string[];
  /** PEM certificate and key: HTTPS, and Secure cookies. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Monotonic ms for session expiry (default performance.now). */
  now?: () => number;
}

/**
 * The same API over TCP: scripts send "Authorization: Bearer <token>", browsers log in at
 * /ui/login for a session cookie; anything else gets 401 (see web-access.ts for every rule).
 */
export async function listenControlTcp(handler: RequestHandler, options: TcpListenOptions): Promise<Server | TlsServer> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`TCP port must be an integer 0..65535, got ${String(options.port)}`);
  }
  const adminToken = options.adminToken ?? options.token;
  if (adminToken === undefined && options.readToken === undefined) throw new RangeError('The TCP listener needs an admin or a read token');
  const guarded = withWebAccess(handler, {
    ...(adminToken !== undefined ? { adminToken: checkToken(adminToken) } : {}),
    ...(options.readToken !== undefined ? { readToken: checkToken(options.readToken) } : {}),
    hosts: listenerHosts(options.host, options.allowedHosts ?? []),
    tls: options.tls !== undefined,
    sessions: new Sessions({ now: options.now ?? (() => performance.now()) }),
  });
  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, guarded) : createServer(guarded);
  await listen(server, () => server.listen({ host: options.host, port: options.port }));
  return server;
}

/** The port a TCP server got (for port 0). */
export function boundPort(server: Server | TlsServer): number {
  return (server.address() as AddressInfo).port;
}

/**
 * Stops accepting, and closes idle keep-alive connections at once and the rest after `graceMs`
 * (end open event streams first with ControlApi.close()).
 */
export async function closeServer(server: Server | TlsServer, graceMs = 2000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}

function listen(server: Server | TlsServer, start: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start();
  });
}
