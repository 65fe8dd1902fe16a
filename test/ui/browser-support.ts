/**
 * What the browser tests need around the lab: Debian's chromium driven by playwright-core (never a
 * downloaded browser), and a path from the root namespace to a daemon's TCP listener inside a
 * lab host: browser → 127.0.0.1:PORT here → a unix socket in the lab directory → a relay in the
 * host → the daemon's 127.0.0.1:9180 there (as `ssh -L` would carry it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { Lab, LabProcess } from '../../src/lab/index.js';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumUnavailableReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `needs Debian's chromium at ${CHROMIUM} (apt-get install chromium)`;
  try {
    import.meta.resolve('playwright-core');
  } catch {
    return 'needs playwright-core (a devDependency: npm ci)';
  }
  return undefined;
}

/** A fresh headless chromium profile; closing it removes the profile directory. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'hs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const RELAY_SCRIPT = `
import { connect, createServer } from 'node:net';
import { rmSync } from 'node:fs';
const [path, port] = process.argv.slice(2);
rmSync(path, { force: true });
createServer((client) => {
  const upstream = connect(Number(port), '127.0.0.1');
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}).listen(path, () => console.log('relay ready'));
`;

export interface Tunnel {
  /** http://127.0.0.1:PORT in this namespace. */
  url: string;
  close(): Promise<void>;
}

/** Makes `host`'s 127.0.0.1:`port` reachable here. */
export async function tunnelTo(lab: Lab, host: string, port: number): Promise<Tunnel> {
  const script = lab.writeFile(`relay-${host}.mjs`, RELAY_SCRIPT);
  const socketPath = join(lab.dir, `relay-${host}.sock`);
  const relay: LabProcess = lab.spawn(host, [process.execPath, script, socketPath, String(port)], { name: `relay-${host}` });
  await relay.waitForLine(/relay ready/, 20_000);
  const forward = await forwardUnixSocket(socketPath);
  return {
    url: forward.url,
    close: async () => {
      await forward.close();
      await relay.stop('SIGTERM');
    },
  };
}

/** A unix socket on 127.0.0.1:PORT here, as `ssh -L PORT:SOCKET` gives an operator. */
export async function forwardUnixSocket(socketPath: string): Promise<Tunnel> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const upstream = connect(socketPath);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of open) client.destroy();
      await closed;
    },
  };
}
