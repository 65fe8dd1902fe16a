/**
 * Where the control API listens: a unix socket in the runtime directory, mode 0600 (root only),
 * and optionally TCP behind a bearer token (off unless configured).
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { withBearerToken } from './bearer-auth.js';
import type { RequestHandler } from './control-api.js';

export { ControlClientError, getJson, requestJson, followEvents } from './control-client.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

export function controlSocketPath(runtimeDir: string): string {
  return join(runtimeDir, CONTROL_SOCKET_NAME);
}

export async function listenControlSocket(handler: RequestHandler, socketPath: string): Promise<Server> {
  // A socket file left by a daemon that died would make listen fail with EADDRINUSE.
  await rm(socketPath, { force: true });
  const server = createServer(handler);
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
  /** Bearer token clients must send; at least 16 characters. */
  token: string;
}

/** The same API over TCP; every request needs "Authorization: Bearer <token>" (401 otherwise). */
export async function listenControlTcp(handler: RequestHandler, options: TcpListenOptions): Promise<Server> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`TCP port must be an integer 0..65535, got ${String(options.port)}`);
  }
  const server = createServer(withBearerToken(handler, options.token));
  await listen(server, () => server.listen({ host: options.host, port: options.port }));
  return server;
}

/** The port a TCP server got (for port 0). */
export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/**
 * Stops accepting, and closes idle keep-alive connections at once and the rest after `graceMs`
 * (end open event streams first with ControlApi.close()).
 */
export async function closeServer(server: Server, graceMs = 2000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}

function listen(server: Server, start: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start();
  });
}
