/**
 * global.web: the control API and dashboard on TCP (off unless set). Loopback by default; any
 * other address only with TLS or `insecure: true` said out loud, since the tokens and the session
 * cookie would otherwise cross the network in clear. At least one token, or no one could log in.
 */
import { parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import { keyOf, type Located } from './draft.js';
import type { SourceLocation } from './model.js';
import { checkAbsolutePath } from './validate-values.js';

export const DEFAULT_WEB_HOST = '127.0.0.1';
export const DEFAULT_WEB_PORT = 9180;
/** Shorter tokens are guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_WEB_TOKEN_LENGTH = 16;

export interface WebListenerConfig {
  /** An IP address, canonical form. */
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  /** Serve a non-loopback address without TLS (the operator's explicit choice). */
  insecure: boolean;
  /** Sees everything, changes nothing. */
  readToken?: string;
  /** May also act: maintenance, reload, GARP. */
  adminToken?: string;
  /** Host header names accepted besides the listen address itself (DNS rebinding guard). */
  allowedHosts: string[];
}

export interface WebListenerDraft {
  listen?: Located<string>;
  tlsCert?: Located<string>;
  tlsKey?: Located<string>;
  insecure?: Located<boolean>;
  readToken?: Located<string>;
  adminToken?: Located<string>;
  allowedHosts?: Array<Located<string>>;
  source: SourceLocation;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/** "127.0.0.1:9180", "[::1]:9180", "9180" (loopback) or a bare address (default port). */
export function parseListen(field: Located<string>): { host: string; port: number } {
  const text = field.value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:]+?)(?::(\d+))?$/.exec(text);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : /^\d+$/.test(text) ? [DEFAULT_WEB_HOST, text] : plain ? [plain[1], plain[2]] : [text, undefined];
  const parsed = parseIpAddress(host ?? '');
  if (!parsed) throw new ConfigError(`"${field.value}" is not an IP address with an optional port, like 127.0.0.1:${DEFAULT_WEB_PORT} or [::1]:${DEFAULT_WEB_PORT}`, field.source, keyOf(field, 'global.web.listen'));
  const portNumber = port === undefined ? DEFAULT_WEB_PORT : Number(port);
  if (!Number.isInteger(portNumber) || portNumber > 65535) throw new ConfigError(`Port ${port ?? ''} is out of range: expected 0..65535`, field.source, keyOf(field, 'global.web.listen'));
  return { host: parsed.address, port: portNumber };
}

function checkToken(field: Located<string> | undefined, key: string): string | undefined {
  if (!field) return undefined;
  if (field.value.length < MIN_WEB_TOKEN_LENGTH) {
    throw new ConfigError(`Token must be at least ${MIN_WEB_TOKEN_LENGTH} characters (openssl rand -hex 32), got ${field.value.length}`, field.source, keyOf(field, key));
  }
  if (/[^\x21-\x7e]/.test(field.value)) throw new ConfigError('Token must be printable ASCII without blanks', field.source, keyOf(field, key));
  return field.value;
}

export function resolveWebListener(draft: WebListenerDraft): WebListenerConfig {
  const { host, port } = draft.listen ? parseListen(draft.listen) : { host: DEFAULT_WEB_HOST, port: DEFAULT_WEB_PORT };
  const config: WebListenerConfig = { host, port, insecure: draft.insecure?.value ?? false, allowedHosts: [] };
  if (draft.tlsCert || draft.tlsKey) {
    if (!draft.tlsCert || !draft.tlsKey) {
      const given = (draft.tlsCert ?? draft.tlsKey) as Located<string>;
      throw new ConfigError('TLS needs both tlsCert and tlsKey', given.source, keyOf(given, 'global.web'));
    }
    config.tls = { certFile: checkAbsolutePath(draft.tlsCert, 'global.web.tlsCert', 'TLS certificate'), keyFile: checkAbsolutePath(draft.tlsKey, 'global.web.tlsKey', 'TLS key') };
  }
  if (!isLoopback(host) && !config.tls && !config.insecure) {
    throw new ConfigError(
      `Listening on ${host} (not loopback) needs TLS (tlsCert, tlsKey), or insecure: true to send tokens in clear on purpose`,
      draft.listen?.source ?? draft.source,
      keyOf(draft.listen, 'global.web.listen'),
    );
  }
  const readToken = checkToken(draft.readToken, 'global.web.readToken');
  const adminToken = checkToken(draft.adminToken, 'global.web.adminToken');
  if (readToken === undefined && adminToken === undefined) {
    throw new ConfigError('Set readToken or adminToken (or both): without a token no one can use the TCP listener', draft.source, 'global.web');
  }
  if (readToken !== undefined && readToken === adminToken) {
    throw new ConfigError('readToken and adminToken must differ, or the read role could act', (draft.adminToken as Located<string>).source, keyOf(draft.adminToken, 'global.web.adminToken'));
  }
  if (readToken !== undefined) config.readToken = readToken;
  if (adminToken !== undefined) config.adminToken = adminToken;
  for (const name of draft.allowedHosts ?? []) {
    if (!/^[a-z0-9.-]+$/i.test(name.value) && !parseIpAddress(name.value)) {
      throw new ConfigError(`"${name.value}" is not a host name`, name.source, keyOf(name, 'global.web.allowedHosts'));
    }
    config.allowedHosts.push(name.value.toLowerCase());
  }
  return config;
}
