/**
 * The YAML `global:` section, read by its field table (fields/global.ts).
 */
import type { GlobalDraft } from '../draft.js';
import { GLOBAL_FIELDS } from '../fields/global.js';
import { readMail, readPeerApi, readWebhooks } from './convert-mail.js';
import { readWeb } from './convert-web.js';
import { readFields } from './fields.js';
import type { Field, YamlReader } from './nodes.js';

export function readGlobal(reader: YamlReader, field: Field): GlobalDraft {
  const global: GlobalDraft = { garp: {}, lowerPriority: {} };
  readFields(reader, field, GLOBAL_FIELDS, global, {
    custom: {
      web: (r, value, draft) => (draft.web = readWeb(r, value)),
      mail: (r, value, draft) => (draft.mail = readMail(r, value)),
      webhooks: (r, value, draft) => (draft.webhooks = readWebhooks(r, value)),
      peerApi: (r, value, draft) => (draft.peerApi = readPeerApi(r, value)),
    },
  });
  return global;
}
