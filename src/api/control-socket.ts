/** The control API on a unix socket in the runtime directory, mode 0600 (root only). */
import { chmod, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import type { RequestHandler } from './control-api.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

export function controlSocketPath(runtimeDir: string): string {
  return join(runtimeDir, CONTROL_SOCKET_NAME);
}

export async function listenControlSocket(handler: RequestHandler, socketPath: string): Promise<Server> {
  // A socket file left by a daemon that died would make listen fail with EADDRINUSE.
  await rm(socketPath, { force: true });
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return server;
}

export class ControlClientError extends Error {
  constructor(
    message: string,
    readonly code: 'not-running' | 'bad-response',
  ) {
    super(message);
    this.name = 'ControlClientError';
  }
}

/** GET a JSON resource from a running daemon. */
export function getJson(socketPath: string, path: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const body = JSON.parse(text) as unknown;
          if ((res.statusCode ?? 500) >= 400) {
            reject(new ControlClientError(`daemon answered ${res.statusCode}: ${text}`, 'bad-response'));
          } else resolve(body);
        } catch {
          reject(new ControlClientError(`daemon sent something that is not JSON: ${text.slice(0, 200)}`, 'bad-response'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new ControlClientError(`no answer from the daemon within ${timeoutMs} ms`, 'bad-response')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new ControlClientError(`no daemon is running with control socket ${socketPath}`, 'not-running'));
      } else reject(err);
    });
    req.end();
  });
}
