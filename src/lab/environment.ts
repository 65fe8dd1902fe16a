/** What the lab needs from the machine, checked up front so tests can skip with a reason. */
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../net/native.js';
import { KEEPALIVED_BINARY } from './keepalived.js';

/** The repository root (the lab runs `bin/hotstandby` and finds the addon from it). */
export { packageRoot };

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why a lab cannot be built here (for `t.skip(reason)`), or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root: the lab creates network namespaces';
  const missing = ['ip', 'bridge', 'sysctl', 'setpriv'].filter((tool) => !onPath(tool));
  if (missing.length > 0) return `needs ${missing.join(', ')} (iproute2, procps, util-linux)`;
  return undefined;
}

export function keepalivedUnavailableReason(): string | undefined {
  return labUnavailableReason() ?? (existsSync(KEEPALIVED_BINARY) ? undefined : `needs keepalived at ${KEEPALIVED_BINARY}`);
}

export function tcpdumpUnavailableReason(): string | undefined {
  return labUnavailableReason() ?? (onPath('tcpdump') ? undefined : 'needs tcpdump');
}

/** Relay and prober run on the project's native addon; tells whether it has been built. */
export function nativeAddonUnavailableReason(): string | undefined {
  return existsSync(join(packageRoot(), 'build', 'Release', 'hsnet.node'))
    ? undefined
    : "needs the native addon (run 'npm run install' to build build/Release/hsnet.node)";
}


/** The etcd witness and Patroni's DCS need Debian's etcd-server 3.4 (the `etcd` binary). */
export function etcdUnavailableReason(): string | undefined {
  return labUnavailableReason() ?? (onPath('etcd') ? undefined : 'needs etcd (Debian package etcd-server)');
}

/** Where Debian's postgresql-15 puts its server binaries. */
export const POSTGRESQL_BIN = '/usr/lib/postgresql/15/bin';

export function postgresqlUnavailableReason(): string | undefined {
  return labUnavailableReason() ?? (existsSync(join(POSTGRESQL_BIN, 'postgres')) ? undefined : `needs PostgreSQL 15 in ${POSTGRESQL_BIN} (Debian package postgresql-15)`);
}

export function patroniUnavailableReason(): string | undefined {
  return postgresqlUnavailableReason() ?? etcdUnavailableReason() ?? (onPath('patroni') ? undefined : 'needs patroni (Debian package patroni)');
}
