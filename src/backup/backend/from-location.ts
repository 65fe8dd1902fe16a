/**
 * A repository location as restic writes it, turned into a backend:
 *   /srv/backup, local:/srv/backup           a directory (backend/local.ts)
 *   sftp:user@host:/srv/backup               SFTP over ssh (backend/sftp.ts); also
 *   sftp://user@host:2222//srv/backup        (restic's URL form: one '/' after the host starts a
 *                                             path relative to the home directory, two an absolute one)
 *   s3:https://host:9000/bucket/prefix       S3-compatible storage (backend/s3.ts); s3:http://…
 *   s3:host/bucket/prefix                    (no scheme: https, as restic)
 * Credentials and options come from restic's environment variables (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_DEFAULT_REGION, RESTIC_CACERT) and from
 * `options` (restic's `-o key=value`: extended-options.ts).
 */
import { readFileSync } from 'node:fs';
import type { Backend } from '../repo/backend.js';
import { limitConnections } from './connection-limit.js';
import { LocalBackend } from './local.js';
import type { BucketLookup } from './s3/target.js';
import { S3Backend, type S3Location } from './s3.js';
import { SftpBackend, splitCommandLine, type SftpLocation } from './sftp.js';

export type ParsedLocation = { kind: 'local'; path: string } | { kind: 'sftp'; sftp: SftpLocation } | { kind: 's3'; s3: S3Location };

export interface LocationOptions {
  /** restic's sftp.command: the command line that runs the SFTP subsystem. */
  sftpCommand?: string;
  /** A local repository must be on a filesystem mounted here (LocalBackend's requireMount). */
  requireMount?: string;
  /** restic's s3.region (before AWS_DEFAULT_REGION). */
  s3Region?: string;
  /** restic's local.connections, sftp.connections, s3.connections. */
  localConnections?: number;
  sftpConnections?: number;
  s3Connections?: number;
  /** restic's s3.storage-class, s3.list-objects-v1, s3.bucket-lookup. */
  s3StorageClass?: string;
  s3ListObjectsV1?: boolean;
  s3BucketLookup?: BucketLookup;
}

function port(text: string | undefined, location: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const p = Number(text);
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`Invalid port '${text}' in repository location '${location}'`);
  return p;
}

/** Parses a repository location; RangeError naming what is wrong. */
export function parseLocation(location: string): ParsedLocation {
  if (location === '') throw new RangeError('The repository location is empty');
  if (location.startsWith('local:')) return { kind: 'local', path: location.slice('local:'.length) };
  if (location.startsWith('sftp://')) {
    const m = /^sftp:\/\/(?:([^@/]+)@)?([^/:]+|\[[^\]]+\])(?::(\d*))?\/(.*)$/.exec(location);
    if (!m || m[4] === '') throw new RangeError(`Invalid SFTP location '${location}' (sftp://[user@]host[:port]/path)`);
    const sftp: SftpLocation = { host: m[2]!.replace(/^\[|\]$/g, ''), path: decodeURIComponent(m[4]!) };
    if (m[1]) sftp.user = decodeURIComponent(m[1]);
    const p = port(m[3], location);
    if (p !== undefined) sftp.port = p;
    return { kind: 'sftp', sftp };
  }
  if (location.startsWith('sftp:')) {
    const m = /^sftp:(?:([^@]+)@)?([^:]+):(.+)$/.exec(location);
    if (!m) throw new RangeError(`Invalid SFTP location '${location}' (sftp:[user@]host:/path)`);
    const sftp: SftpLocation = { host: m[2]!, path: m[3]! };
    if (m[1]) sftp.user = m[1];
    return { kind: 'sftp', sftp };
  }
  if (location.startsWith('s3:')) {
    let rest = location.slice('s3:'.length);
    let protocol: S3Location['protocol'] = 'https:';
    const scheme = /^(https?):\/\//.exec(rest);
    if (scheme) {
      protocol = `${scheme[1]}:` as S3Location['protocol'];
      rest = rest.slice(scheme[0].length);
    }
    const m = /^([^/:]+|\[[^\]]+\])(?::(\d*))?\/([^/]+)(?:\/(.*))?$/.exec(rest);
    if (!m) throw new RangeError(`Invalid S3 location '${location}' (s3:https://host[:port]/bucket[/prefix])`);
    const s3: S3Location = { protocol, host: m[1]!.replace(/^\[|\]$/g, ''), bucket: m[3]!, prefix: (m[4] ?? '').replace(/^\/+|\/+$/g, '') };
    const p = port(m[2], location);
    if (p !== undefined) s3.port = p;
    return { kind: 's3', s3 };
  }
  if (/^[a-z0-9]+:/.test(location) && !location.startsWith('/')) {
    throw new RangeError(`Unsupported repository location '${location}': use a path, local:, sftp: or s3:`);
  }
  return { kind: 'local', path: location };
}

/** The backend for a location; credentials from `env` (restic's variables). */
export function backendFromLocation(location: string, env: NodeJS.ProcessEnv = process.env, options: LocationOptions = {}): Backend {
  const parsed = parseLocation(location);
  switch (parsed.kind) {
    case 'local': {
      const b = new LocalBackend(parsed.path, options.requireMount ? { requireMount: options.requireMount } : {});
      return options.localConnections ? limitConnections(b, options.localConnections) : b;
    }
    case 'sftp': {
      const b = new SftpBackend(parsed.sftp, options.sftpCommand ? { command: splitCommandLine(options.sftpCommand) } : {});
      return options.sftpConnections ? limitConnections(b, options.sftpConnections) : b;
    }
    case 's3': {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) throw new RangeError(`${location} needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment`);
      return new S3Backend(parsed.s3, {
        credentials: env.AWS_SESSION_TOKEN ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN } : { accessKeyId, secretAccessKey },
        ...(options.s3Region ? { region: options.s3Region } : env.AWS_DEFAULT_REGION ? { region: env.AWS_DEFAULT_REGION } : {}),
        ...(env.RESTIC_CACERT ? { ca: readFileSync(env.RESTIC_CACERT) } : {}),
        ...(options.s3Connections ? { connections: options.s3Connections } : {}),
        ...(options.s3StorageClass ? { storageClass: options.s3StorageClass } : {}),
        ...(options.s3ListObjectsV1 ? { listObjectsV1: true } : {}),
        ...(options.s3BucketLookup ? { bucketLookup: options.s3BucketLookup } : {}),
      });
    }
  }
}
