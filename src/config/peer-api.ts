/**
 * global.peerApi: where the dashboard asks the peer how it reports itself (its control API on
 * TCP, with a read token, over TLS with a CA or plain http on a trusted link). hotstandby only.
 * Fetching: src/ui/peer/peer-poller.ts.
 */
import { ConfigError } from './config-error.js';
import { keyOf, type Located } from './draft.js';
import type { DraftOf, FieldSpec } from './fields/field.js';
import type { SourceLocation } from './model.js';
import { fieldValue } from './resolve-field.js';
import { checkAbsolutePath } from './validate-values.js';
import { MIN_WEB_TOKEN_LENGTH } from './web-listener.js';

export const PEER_API_FIELDS = [
  { name: 'url', yaml: 'url', type: { kind: 'string' }, typeDoc: 'http(s) URL of the peer\'s `global.web`', defaultDoc: 'required', doc: 'the peer\'s API base, like `https://10.0.0.2:9180`' },
  { name: 'readToken', yaml: 'readToken', type: { kind: 'string' }, defaultDoc: 'none', doc: "the peer's read token (sent as Bearer); redacted in /v1/config" },
  { name: 'caFile', yaml: 'caFile', type: { kind: 'string' }, typeDoc: 'absolute path', defaultDoc: "the system's CAs", doc: "CA of the peer's TLS certificate" },
  { name: 'timeoutMs', yaml: 'timeout', type: { kind: 'duration', minMs: 100, maxMs: 30_000 }, label: 'Peer API timeout', default: 2000, doc: 'per request' },
  { name: 'intervalMs', yaml: 'interval', type: { kind: 'duration', minMs: 1000, maxMs: 300_000 }, label: 'Peer API interval', default: 5000, doc: 'between requests' },
] as const satisfies readonly FieldSpec[];

export interface PeerApiConfig {
  url: string;
  readToken?: string;
  caFile?: string;
  timeoutMs: number;
  intervalMs: number;
}

export interface PeerApiDraft extends DraftOf<typeof PEER_API_FIELDS> {
  source: SourceLocation;
}

export function resolvePeerApi(draft: PeerApiDraft): PeerApiConfig {
  const key = 'global.peerApi.';
  const url = draft.url as Located<string> | undefined;
  if (!url) throw new ConfigError('peerApi needs a url', draft.source, `${key}url`);
  let parsed: URL;
  try {
    parsed = new URL(url.value);
  } catch {
    throw new ConfigError(`"${url.value}" is not a URL`, url.source, keyOf(url, `${key}url`));
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username !== '' || parsed.search !== '') {
    throw new ConfigError(`"${url.value}" must be an http(s) URL without credentials or query (the token goes in readToken)`, url.source, keyOf(url, `${key}url`));
  }
  const config: PeerApiConfig = {
    url: parsed.toString().replace(/\/$/, ''),
    timeoutMs: fieldValue(PEER_API_FIELDS, 'timeoutMs', draft, key),
    intervalMs: fieldValue(PEER_API_FIELDS, 'intervalMs', draft, key),
  };
  if (draft.readToken) {
    if (draft.readToken.value.length < MIN_WEB_TOKEN_LENGTH) throw new ConfigError(`Token must be at least ${MIN_WEB_TOKEN_LENGTH} characters`, draft.readToken.source, keyOf(draft.readToken, `${key}readToken`));
    config.readToken = draft.readToken.value;
  }
  if (draft.caFile) config.caFile = checkAbsolutePath(draft.caFile, `${key}caFile`, 'CA file');
  return config;
}
