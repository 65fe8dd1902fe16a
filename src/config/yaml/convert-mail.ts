/**
 * The YAML `global.mail:`, `global.webhooks:` and `global.peerApi:` sections, read by their
 * field tables (fields/mail.ts, ../webhooks.ts, ../peer-api.ts); the lists by hand.
 */
import { MAIL_FIELDS } from '../fields/mail.js';
import type { MailDraft } from '../mail.js';
import { PEER_API_FIELDS, type PeerApiDraft } from '../peer-api.js';
import { WEBHOOK_FIELDS, type WebhookDraft } from '../webhooks.js';
import { readFields } from './fields.js';
import { isStringNode, readList, readNamedCollection, readString, type Field, type YamlReader } from './nodes.js';

/** A list, or one string (`to: ops@example.net`). */
function readStrings(reader: YamlReader, value: Field): ReturnType<typeof readString>[] {
  return isStringNode(value) ? [readString(value)] : readList(reader, value).map(readString);
}

export function readMail(reader: YamlReader, field: Field): MailDraft {
  const mail: MailDraft = {};
  readFields(reader, field, MAIL_FIELDS, mail, {
    custom: {
      to: (r, value, draft) => (draft.to = readStrings(r, value)),
      // smtp_server HOST PORT is two words in keepalived; `server: mail.example.net:587` or a bare name here.
      server: (_r, value, draft) => (draft.server = readString(value)),
    },
  });
  return mail;
}

export function readPeerApi(reader: YamlReader, field: Field): PeerApiDraft {
  const peer: PeerApiDraft = { source: field.source };
  readFields(reader, field, PEER_API_FIELDS, peer);
  return peer;
}

export function readWebhooks(reader: YamlReader, field: Field): WebhookDraft[] {
  return readNamedCollection(reader, field).map((entry) => {
    const hook: WebhookDraft = { name: entry.name, source: entry.source };
    readFields(reader, entry.body, WEBHOOK_FIELDS, hook, {
      custom: { events: (r, value, draft) => (draft.events = readStrings(r, value)) },
      extraKeys: entry.hasNameKey ? ['name'] : [],
    });
    return hook;
  });
}
