/**
 * `kind: directory`: a directory replicated from the master to its backups (issue 12), as a
 * resource that follows the role (directory-driver.ts). Its keys, validated with errors naming
 * the key; the nodes authenticate each other with a pre-shared key (`keyFile`) or certificates
 * (`tls`), exactly one of them.
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadNative } from '../net/native.js';
import type { ResourceHost, ResourceKind, ResourceSettings } from '../resources/resource.js';
import { DirectoryDriver, type DirectorySettings } from './directory-driver.js';
import { excludeMatcher } from './exclude.js';
import { pskTransport, type PreSharedKey } from './psk-tls.js';
import { CertificateFileError, loadCertificates, type CertificatePaths } from './cert-files.js';
import { certTransport } from './cert-tls.js';
import { parseBandwidth } from './bandwidth-text.js';
import type { BulkPorts } from './bulk-io.js';
import { Throttle } from './token-bucket.js';
import type { ReplicationTransport } from './transport.js';

export const DEFAULT_REPLICATION_PORT = 7411;

export interface DirectoryKindSettings {
  readonly path: string;
  readonly exclude: readonly string[];
  readonly listen: string;
  readonly port: number;
  /** "host" or "host:port" ("[v6]:port"); empty: the followed instances' unicast peers. */
  readonly peers: readonly { readonly host: string; readonly port: number }[];
  /** How the nodes authenticate each other: the key file, or certificate files and the names a peer's certificate may carry. */
  readonly auth: { readonly kind: 'psk'; readonly keyFile: string } | { readonly kind: 'certificates'; readonly files: CertificatePaths; readonly peerNames: readonly string[] };
  /** Bytes per second of file content to each peer; undefined: no limit. */
  readonly bandwidthLimit: number | undefined;
  /** Where a replica offers bulk transfers (bulk-io.ts): a port the kernel picks, a range, or none. */
  readonly bulkPorts: BulkPorts;
  readonly conflictDir: string;
  readonly fullCheckEveryMs: number;
  readonly xattrs: boolean;
  readonly acls: boolean;
}

function absolutePath(settings: ResourceSettings, key: string, value: string): string {
  if (!value.startsWith('/') || value === '/') throw settings.error(key, `Expected an absolute path other than /, got "${value}"`);
  return value.replace(/\/+$/, '');
}

export function parsePeer(text: string, port: number): { host: string; port: number } | undefined {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  const v4 = /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  const match = v6 ?? v4;
  if (!match) return undefined;
  const p = match[2] === undefined ? port : Number(match[2]);
  if (!Number.isInteger(p) || p < 1 || p > 65535) return undefined;
  return { host: match[1]!, port: p };
}

/** `bulkPorts` as written: YAML reads a lone port as a number, a range or `off` as a string. */
function bulkPortsText(settings: ResourceSettings): string | undefined {
  if (!settings.has('bulkPorts')) return undefined;
  try {
    return String(settings.integer('bulkPorts', { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }));
  } catch {
    return settings.string('bulkPorts');
  }
}

/**
 * `bulkPorts`: absent, a kernel-picked port; `off`; a port; `FIRST-LAST` (at most 1,024 ports).
 * The replica port itself cannot be one (it is the TLS listener's).
 */
export function parseBulkPorts(text: string | undefined, replicaPort: number, error: (message: string) => Error): BulkPorts {
  if (text === undefined) return 'ephemeral';
  if (text === 'off') return 'off';
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (match === null) throw error(`"${text}" is not FIRST-LAST, a port or off`);
  const first = Number(match[1]);
  const last = Number(match[2] ?? match[1]);
  if (first < 1 || last > 65535 || first > last) throw error(`"${text}": ports run from 1 to 65535, the first not above the last`);
  if (last - first >= 1024) throw error(`"${text}" is ${last - first + 1} ports; at most 1024`);
  if (replicaPort >= first && replicaPort <= last) throw error(`"${text}" includes the replica port ${replicaPort}`);
  return { first, last };
}

/** The key file: 64 (or more) hex digits, or at least 16 raw bytes. */
export function readKeyFile(file: string): PreSharedKey {
  const bytes = readFileSync(file);
  const text = bytes.toString('latin1').trim();
  const key = /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : bytes;
  if (key.length < 16) throw new Error(`${file}: the key is ${key.length} bytes; at least 16 are needed (e.g. \`openssl rand -hex 32 > ${file}\`)`);
  return { identity: 'hotstandby-directory', key };
}

export const directoryKind: ResourceKind<DirectoryKindSettings> = {
  kind: 'directory',
  doc: 'a directory replicated from the master to its backups (TLS-PSK, atomic apply, split-brain safe)',
  fields: [
    { key: 'path', type: 'absolute path', default: 'required', doc: 'the directory, the same path on every node' },
    { key: 'exclude', type: 'list of patterns', default: 'none', doc: '`*.tmp`, `cache/`, `logs/**`: a pattern without `/` matches a name at any depth, with `/` a path from the top; what matches is neither sent nor touched on the replica' },
    { key: 'peers', type: 'list of host[:port]', default: "the followed instances' unicast peers", doc: "where the master finds each backup's replica" },
    { key: 'listen', type: 'address', default: '`0.0.0.0`', doc: 'where this node listens as a replica' },
    { key: 'port', type: 'integer 1..65535', default: String(DEFAULT_REPLICATION_PORT), doc: 'the replica port (and the peers\' default)' },
    { key: 'keyFile', type: 'path', default: 'required unless `tls`', doc: 'the pre-shared key, the same on every node: 64 hex digits (`openssl rand -hex 32`), mode 0600 (TLS 1.2 ECDHE-PSK)' },
    {
      key: 'tls',
      type: 'mapping: `cert`, `key`, `ca` (paths), `peerNames` (list)',
      default: 'none (then `keyFile`)',
      doc: "certificates instead of a key (mutual TLS 1.3): this node's certificate (PEM, intermediates after it), its private key (unencrypted, 0600) and the CA that signs every node's certificate. A peer is accepted if its certificate chains to `ca`, is valid now and has a subjectAltName equal to its configured address (IP or DNS) or to one of `peerNames`. Renewed files are read at the next connection, no restart (docs/replication.md)",
    },
    { key: 'bandwidthLimit', type: 'rate', default: 'none', doc: 'file content sent to each peer at most this fast: `10MiB/s`, `500KB/s`, `100Mbit/s` (at least 1KiB/s); requests, replies and heartbeats are not limited' },
    {
      key: 'bulkPorts',
      type: '`FIRST-LAST`, a port, or `off`',
      default: 'a port the kernel picks',
      doc: "where a backup takes bulk transfers: a new file of 8 MiB or more goes on a TCP connection of its own from the master (AES-256-GCM, keyed from the replication TLS session). A range such as `7412-7419` for a firewall that allows only those (one transfer per port at a time; when every port is busy, the file goes through TLS); `off`: every file through TLS (about 0.6x rsync's speed for a large file instead of above 1x). On the master, `off` stops it asking",
    },
    { key: 'conflictDir', type: 'absolute path', default: '`<path>.hotstandby-conflicts`', doc: "where a split brain keeps the replica's replaced files (same filesystem as path)" },
    { key: 'fullCheckEvery', type: 'duration', default: '10m', doc: 'a full digest comparison this often (besides after every connect and queue overflow)' },
    { key: 'xattrs', type: 'boolean', default: 'false', doc: 'replicate extended attributes too: `user.*`, `security.*`, and `trusted.*` (the daemon runs as root); the master\'s setting decides; a replica filesystem without them is an event, and files are replicated without them' },
    { key: 'acls', type: 'boolean', default: 'false', doc: 'replicate POSIX ACLs too (the `system.posix_acl_access` / `system.posix_acl_default` attributes)' },
  ],
  parse(settings: ResourceSettings): DirectoryKindSettings {
    const path = absolutePath(settings, 'path', settings.requireString('path'));
    const port = settings.integer('port', { min: 1, max: 65535 }) ?? DEFAULT_REPLICATION_PORT;
    const peers = (settings.stringList('peers') ?? []).map((text) => {
      const peer = parsePeer(text, port);
      if (peer === undefined) throw settings.error('peers', `"${text}" is not host, host:port or [v6]:port`);
      return peer;
    });
    const exclude = settings.stringList('exclude') ?? [];
    for (const pattern of exclude) {
      if (pattern === '' || pattern.includes('\0')) throw settings.error('exclude', 'A pattern must be a non-empty string');
    }
    const conflictDir = absolutePath(settings, 'conflictDir', settings.string('conflictDir') ?? `${path}.hotstandby-conflicts`);
    if (conflictDir === path || conflictDir.startsWith(`${path}/`)) throw settings.error('conflictDir', 'The conflict directory must be outside the replicated directory');
    const fullCheckEveryMs = settings.duration('fullCheckEvery') ?? 600_000;
    if (fullCheckEveryMs < 1000) throw settings.error('fullCheckEvery', 'At least 1s');
    const xattrs = settings.boolean('xattrs') ?? false;
    const acls = settings.boolean('acls') ?? false;
    const bandwidth = settings.string('bandwidthLimit');
    let bandwidthLimit: number | undefined;
    if (bandwidth !== undefined) {
      try {
        bandwidthLimit = parseBandwidth(bandwidth);
      } catch (err) {
        throw settings.error('bandwidthLimit', (err as Error).message);
      }
    }
    const bulkPorts = parseBulkPorts(bulkPortsText(settings), port, (message) => settings.error('bulkPorts', message));
    return { path, exclude, listen: settings.string('listen') ?? '0.0.0.0', port, peers, auth: parseAuth(settings), bandwidthLimit, bulkPorts, conflictDir, fullCheckEveryMs, xattrs, acls };
  },
  async check(settings, host) {
    const st = await stat(settings.path).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`resources.${host.name}.path: '${settings.path}' is not a directory`);
    const problem = credentialProblem(settings, host.name);
    if (problem !== undefined) throw new Error(problem);
    const parent = await stat(dirname(settings.conflictDir)).catch(() => undefined);
    if (parent !== undefined && parent.dev !== st.dev) throw new Error(`resources.${host.name}.conflictDir: must be on the same filesystem as '${settings.path}'`);
    if (settings.peers.length === 0 && host.peers().length === 0) throw new Error(`resources.${host.name}.peers: none set and the followed instances have no unicast peers`);
  },
  create(settings, host) {
    return new DirectoryDriver(driverSettings(settings, host), { native: loadNative(), clock: host.clock, log: host.log, stateDir: host.stateDir });
  },
};

/**
 * The key file or the certificate files, read and checked as at start (check-config runs this
 * on the node too): the problem as `resources.<name>.<key>: <what is wrong with which file>`.
 */
export function credentialProblem(settings: DirectoryKindSettings, name: string): string | undefined {
  const auth = settings.auth;
  try {
    if (auth.kind === 'psk') readKeyFile(auth.keyFile);
    else loadCertificates(auth.files);
    return undefined;
  } catch (err) {
    const key = auth.kind === 'psk' ? 'keyFile' : err instanceof CertificateFileError ? `tls.${err.setting}` : 'tls';
    return `resources.${name}.${key}: ${(err as Error).message}`;
  }
}

/** `keyFile` or `tls`, exactly one; the files themselves are read by check(). */
function parseAuth(settings: ResourceSettings): DirectoryKindSettings['auth'] {
  const tls = settings.section('tls', ['cert', 'key', 'ca', 'peerNames']);
  const keyFile = settings.string('keyFile');
  if (tls !== undefined && keyFile !== undefined) throw settings.error('tls', 'Set either keyFile (a pre-shared key) or tls (certificates), not both');
  if (tls === undefined) {
    if (keyFile === undefined) throw settings.error('keyFile', 'Required: a pre-shared key file (keyFile) or certificates (tls: { cert, key, ca })');
    return { kind: 'psk', keyFile };
  }
  const peerNames = tls.stringList('peerNames') ?? [];
  for (const name of peerNames) if (name === '' || /[\s,]/.test(name)) throw tls.error('peerNames', `"${name}" is not a host name or address`);
  return { kind: 'certificates', files: { cert: tls.requireString('cert'), key: tls.requireString('key'), ca: tls.requireString('ca') }, peerNames };
}

function transportFor(settings: DirectoryKindSettings, peers: readonly { host: string }[], host: ResourceHost): ReplicationTransport {
  const auth = settings.auth;
  if (auth.kind === 'psk') return pskTransport(readKeyFile(auth.keyFile));
  return certTransport({
    files: auth.files,
    peerNames: auth.peerNames,
    peerAddresses: peers.map((p) => p.host),
    onReloadProblem: (err) => host.log.log('error', 'directory replication: renewed certificate files cannot be used; the previous ones stay in use', { resource: host.name, problem: err.message }),
  });
}

function driverSettings(settings: DirectoryKindSettings, host: ResourceHost): DirectorySettings {
  const peers = settings.peers.length > 0 ? settings.peers : host.peers().map((address) => ({ host: address, port: settings.port }));
  return {
    path: settings.path,
    exclude: excludeMatcher(settings.exclude),
    listen: { host: settings.listen, port: settings.port },
    peers,
    transport: transportFor(settings, peers, host),
    throttle: settings.bandwidthLimit === undefined ? undefined : () => new Throttle(settings.bandwidthLimit!, host.clock, host.timers),
    bulkPorts: settings.bulkPorts,
    conflictDir: settings.conflictDir,
    fullCheckEveryMs: settings.fullCheckEveryMs,
    xattrs: { xattrs: settings.xattrs, acls: settings.acls },
  };
}
