/**
 * The YAML `global.web:` section (see ../web-listener.ts).
 */
import type { WebListenerDraft } from '../web-listener.js';
import { readBoolean, readInteger, readList, readMap, readString, isStringNode, type Field, type YamlReader } from './nodes.js';

const WEB_KEYS = ['listen', 'tlsCert', 'tlsKey', 'insecure', 'readToken', 'adminToken', 'allowedHosts'];

export function readWeb(reader: YamlReader, field: Field): WebListenerDraft {
  const web: WebListenerDraft = { source: field.source };
  for (const [key, value] of readMap(reader, field, WEB_KEYS)) {
    switch (key) {
      case 'listen':
        // A bare port number is a YAML integer.
        web.listen = isStringNode(value) ? readString(value) : ((n) => ({ ...n, value: String(n.value) }))(readInteger(value));
        break;
      case 'tlsCert':
        web.tlsCert = readString(value);
        break;
      case 'tlsKey':
        web.tlsKey = readString(value);
        break;
      case 'insecure':
        web.insecure = readBoolean(value);
        break;
      case 'readToken':
        web.readToken = readString(value);
        break;
      case 'adminToken':
        web.adminToken = readString(value);
        break;
      case 'allowedHosts':
        web.allowedHosts = readList(reader, value).map(readString);
        break;
    }
  }
  return web;
}
