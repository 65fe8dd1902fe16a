/**
 * The demo's web service, one per lab node, run inside the node's namespace: every answer names
 * the node, so the client can tell which node holds the virtual address.
 *
 * Started by demo.ts with `node -e "import(…).then(m => m.runWebServer(config))"` (nothing here
 * acts on import). Prints {"event":"listening","port":N} once it accepts connections.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

export interface WebServerConfig {
  /** The node's name, as the body says it: "node a". */
  node: string;
  /** 0 = any free port (reported in the listening event). */
  port: number;
  /** Listening address; default every IPv4 address, the VIP included once it arrives. */
  host?: string;
  /** The lab directory: marks the process as the demo's in `ps` (and for the cleanup test). */
  labDir: string;
  /** A web root (the file act): GET /<name> serves the file <root>/<name>; `/` still names the node. */
  root?: string;
}

/** The header that names the node behind every answer. */
export const SERVED_BY_HEADER = 'x-served-by';

/** Top-level file names only: nothing outside the web root can be named. */
const FILE_NAME = /^\/([A-Za-z0-9][A-Za-z0-9._-]*)$/;

export function nodeAnswer(node: string): string {
  return `node ${node}\n`;
}

export async function runWebServer(config: WebServerConfig): Promise<void> {
  const server = createServer((request, response) => {
    // A fresh connection per request: a client must not stay stuck to a node that lost the VIP.
    const headers = { 'content-type': 'text/plain', connection: 'close', [SERVED_BY_HEADER]: config.node };
    const name = config.root === undefined ? undefined : FILE_NAME.exec(request.url ?? '')?.[1];
    if (name === undefined || config.root === undefined) {
      response.writeHead(200, headers);
      response.end(nodeAnswer(config.node));
      return;
    }
    readFile(join(config.root, name)).then(
      (body) => response.writeHead(200, headers).end(body),
      () => response.writeHead(404, headers).end(`no ${name} on node ${config.node}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
