/**
 * global.web → the TCP listener: the certificate and key read from their files, the tokens and
 * names from the configuration (validated in src/config/web-listener.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { WebListenerConfig } from '../config/web-listener.js';
import type { RequestHandler } from './control-api.js';
import { listenControlTcp } from './control-socket.js';

export async function listenWeb(handler: RequestHandler, config: WebListenerConfig): Promise<Server | TlsServer> {
  const tls = config.tls ? { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) } : undefined;
  return listenControlTcp(handler, {
    host: config.host,
    port: config.port,
    ...(config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
    ...(config.readToken !== undefined ? { readToken: config.readToken } : {}),
    allowedHosts: config.allowedHosts,
    ...(tls ? { tls } : {}),
  });
}
