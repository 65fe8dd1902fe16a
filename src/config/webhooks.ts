/**
 * global.webhooks: JSON POSTs of event-log records to HTTP(S) receivers, each with its own
 * filter by event kind, an HMAC secret, a timeout and a bounded number of retries. hotstandby
 * only (keepalived has no webhooks). Sending: src/notify/webhook/; docs/notifications.md.
 */
import { ConfigError } from './config-error.js';
import { keyOf, type Located } from './draft.js';
import type { DraftOf, FieldSpec } from './fields/field.js';
import type { SourceLocation } from './model.js';
import { fieldValue } from './resolve-field.js';
import { checkAbsolutePath } from './validate-values.js';

/** Shorter secrets are guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/**
 * The kinds sent when a webhook does not say: failover, split brain, address conflicts, checks, and whatever the
 * data subsystems log under resource-, replication- and backup- kinds.
 */
export const DEFAULT_WEBHOOK_EVENTS: readonly string[] = ['transition', 'split-brain', 'address-conflict', 'check', 'resource*', 'replication*', 'backup*'];

export const WEBHOOK_FIELDS = [
  { name: 'url', yaml: 'url', type: { kind: 'string' }, typeDoc: 'http(s) URL', defaultDoc: 'required', doc: 'where the JSON is POSTed' },
  {
    name: 'secret',
    yaml: 'secret',
    type: { kind: 'string' },
    defaultDoc: 'none (unsigned)',
    doc: `HMAC-SHA256 key for \`X-Hotstandby-Signature\` (${MIN_WEBHOOK_SECRET_LENGTH}+ characters); redacted in /v1/config`,
  },
  {
    name: 'events',
    yaml: 'events',
    type: { kind: 'custom', text: 'list of event kinds (`backup*` matches a prefix, `*` all)' },
    defaultDoc: DEFAULT_WEBHOOK_EVENTS.map((e) => `\`${e}\``).join(', '),
    doc: 'which event-log records are sent',
  },
  { name: 'timeoutMs', yaml: 'timeout', type: { kind: 'duration', minMs: 100, maxMs: 60_000 }, label: 'Webhook timeout', default: 5000, doc: 'per attempt' },
  { name: 'retries', yaml: 'retries', type: { kind: 'integer', min: 0, max: 20 }, label: 'Webhook retries', default: 5, doc: 'after the first attempt; 1 s, 2 s, 4 s, ... (at most 5 min) apart' },
  { name: 'caFile', yaml: 'caFile', type: { kind: 'string' }, typeDoc: 'absolute path', defaultDoc: "the system's CAs", doc: 'CA certificates for an https receiver' },
] as const satisfies readonly FieldSpec[];

export interface WebhookConfig {
  name: string;
  url: string;
  secret?: string;
  events: string[];
  timeoutMs: number;
  retries: number;
  caFile?: string;
}

export interface WebhookDraft extends DraftOf<typeof WEBHOOK_FIELDS> {
  name: string;
  source: SourceLocation;
  events?: Array<Located<string>>;
}

function checkEventPattern(field: Located<string>, key: string): string {
  if (!/^(\*|[a-z][a-z0-9-]*\*?)$/.test(field.value)) {
    throw new ConfigError(`"${field.value}" is not an event kind (like transition, split-brain, backup*, or * for all)`, field.source, keyOf(field, key));
  }
  return field.value;
}

export function resolveWebhook(draft: WebhookDraft): WebhookConfig {
  const prefix = `global.webhooks.${draft.name}.`;
  if (!draft.url) throw new ConfigError(`Webhook "${draft.name}" has no url`, draft.source, `${prefix}url`);
  let url: URL;
  try {
    url = new URL(draft.url.value);
  } catch {
    throw new ConfigError(`"${draft.url.value}" is not a URL`, draft.url.source, keyOf(draft.url, `${prefix}url`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`Webhook URL must be http or https, got ${url.protocol}`, draft.url.source, keyOf(draft.url, `${prefix}url`));
  }
  const config: WebhookConfig = {
    name: draft.name,
    url: url.toString(),
    events: draft.events ? draft.events.map((e) => checkEventPattern(e, `${prefix}events`)) : [...DEFAULT_WEBHOOK_EVENTS],
    timeoutMs: fieldValue(WEBHOOK_FIELDS, 'timeoutMs', draft, prefix),
    retries: fieldValue(WEBHOOK_FIELDS, 'retries', draft, prefix),
  };
  if (draft.secret) {
    if (draft.secret.value.length < MIN_WEBHOOK_SECRET_LENGTH) {
      throw new ConfigError(`Webhook secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (openssl rand -hex 32), got ${draft.secret.value.length}`, draft.secret.source, keyOf(draft.secret, `${prefix}secret`));
    }
    config.secret = draft.secret.value;
  }
  if (draft.caFile) config.caFile = checkAbsolutePath(draft.caFile, `${prefix}caFile`, 'CA file');
  return config;
}
