/**
 * A virtual address: the parts of a YAML address mapping and the options of a keepalived
 * virtual_ipaddress line (also the YAML string form). Both are parsed by vip.ts's parseVipWords,
 * so the table gives the keys, the option words and the docs; vip.ts keeps the rules.
 */
import type { FieldSpec } from './field.js';

export const VIP_FIELDS = [
  {
    name: 'address',
    yaml: 'address',
    type: { kind: 'string' },
    typeDoc: 'IPv4 or IPv6 address, may include `/prefix`',
    defaultDoc: 'required',
    doc: 'the first word of a keepalived line: `<address>[/<prefix>]`',
  },
  {
    name: 'prefixLength',
    yaml: 'prefix',
    yamlHints: ['mask'],
    type: { kind: 'integer', min: 0, max: 128 },
    defaultDoc: '32 (IPv4), 128 (IPv6)',
    doc: 'keepalived: after the address (`/24`)',
  },
  {
    name: 'device',
    yaml: 'device',
    keepalived: [{ word: 'dev', read: 'word' }],
    type: { kind: 'string' },
    typeDoc: 'interface name',
    defaultDoc: "the instance's interface",
    doc: 'the interface the address goes on',
  },
  {
    name: 'label',
    yaml: 'label',
    keepalived: [{ word: 'label', read: 'word' }],
    type: { kind: 'string' },
    defaultDoc: 'none',
    doc: 'IPv4 only (ignored with a warning for IPv6)',
  },
  {
    name: 'scope',
    yaml: 'scope',
    keepalived: [{ word: 'scope', read: 'word' }],
    type: { kind: 'enum', values: ['global', 'site', 'link', 'host', 'nowhere'] },
    default: 'global',
    doc: 'the address scope',
  },
  {
    name: 'broadcast',
    yaml: 'broadcast',
    keepalived: [
      { word: 'brd', read: 'word' },
      { word: 'broadcast', read: 'word' },
    ],
    type: { kind: 'string' },
    typeDoc: 'IPv4 address, `+` or `-`',
    defaultDoc: 'none',
    doc: 'IPv4 only; `+` and `-` set or clear the host bits',
  },
] as const satisfies readonly FieldSpec[];
