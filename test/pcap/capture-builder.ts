/**
 * Test helpers that write capture files and frames byte by byte, so the readers are tested
 * against layouts built from the format descriptions rather than against themselves.
 */

export type ByteOrder = 'le' | 'be';

/** Little helper: integers in one byte order, appended to a growing byte list. */
export class Bytes {
  private readonly parts: Buffer[] = [];
  constructor(private readonly order: ByteOrder = 'be') {}
  u8(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }
  u16(value: number): this {
    const b = Buffer.alloc(2);
    if (this.order === 'le') b.writeUInt16LE(value);
    else b.writeUInt16BE(value);
    this.parts.push(b);
    return this;
  }
  u32(value: number): this {
    const b = Buffer.alloc(4);
    if (this.order === 'le') b.writeUInt32LE(value);
    else b.writeUInt32BE(value);
    this.parts.push(b);
    return this;
  }
  i64(value: bigint): this {
    const b = Buffer.alloc(8);
    if (this.order === 'le') b.writeBigInt64LE(value);
    else b.writeBigInt64BE(value);
    this.parts.push(b);
    return this;
  }
  bytes(data: Uint8Array): this {
    this.parts.push(Buffer.from(data));
    return this;
  }
  /** Zero bytes up to the next multiple of 4 of the length so far. */
  pad32(): this {
    const length = this.length;
    if (length % 4 !== 0) this.parts.push(Buffer.alloc(4 - (length % 4)));
    return this;
  }
  get length(): number {
    return this.parts.reduce((sum, part) => sum + part.length, 0);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface ClassicPacket {
  seconds: number;
  /** Micro- or nanoseconds, as the file says. */
  fraction: number;
  data: Buffer;
  originalLength?: number;
}

/** A classic pcap file: file header then one record per packet. */
export function classicPcap(
  packets: ClassicPacket[],
  options: { order?: ByteOrder; nanoseconds?: boolean; linkType?: number; version?: [number, number] } = {},
): Buffer {
  const out = new Bytes(options.order ?? 'le');
  const [major, minor] = options.version ?? [2, 4];
  out.u32(options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4).u16(major).u16(minor);
  out.u32(0).u32(0).u32(262144).u32(options.linkType ?? 1);
  for (const packet of packets) {
    out.u32(packet.seconds).u32(packet.fraction).u32(packet.data.length).u32(packet.originalLength ?? packet.data.length);
    out.bytes(packet.data);
  }
  return out.build();
}

/** One pcapng block: type, total length, body (padded to 32 bits), total length. */
export function pcapngBlock(order: ByteOrder, type: number, body: Buffer): Buffer {
  const padded = new Bytes(order).bytes(body).pad32().build();
  const length = 12 + padded.length;
  return new Bytes(order).u32(type).u32(length).bytes(padded).u32(length).build();
}

export function sectionHeaderBlock(order: ByteOrder, version: [number, number] = [1, 0]): Buffer {
  const body = new Bytes(order).u32(0x1a2b3c4d).u16(version[0]).u16(version[1]).i64(-1n).build();
  return pcapngBlock(order, 0x0a0d0d0a, body);
}

export interface PcapngOption {
  code: number;
  value: Buffer;
}

function optionList(order: ByteOrder, options: PcapngOption[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const out = new Bytes(order);
  for (const option of options) out.u16(option.code).u16(option.value.length).bytes(option.value).pad32();
  return out.u16(0).u16(0).build();
}

export function interfaceBlock(
  order: ByteOrder,
  linkType: number,
  options: { snapLength?: number; tsresol?: number; tsoffset?: bigint } = {},
): Buffer {
  const list: PcapngOption[] = [{ code: 2, value: Buffer.from('veth0') }]; // if_name, ignored
  if (options.tsresol !== undefined) list.push({ code: 9, value: Buffer.from([options.tsresol]) });
  if (options.tsoffset !== undefined) list.push({ code: 14, value: new Bytes(order).i64(options.tsoffset).build() });
  const body = new Bytes(order).u16(linkType).u16(0).u32(options.snapLength ?? 0).bytes(optionList(order, list));
  return pcapngBlock(order, 1, body.build());
}

export function enhancedPacketBlock(
  order: ByteOrder,
  interfaceId: number,
  timestamp: bigint,
  data: Buffer,
  originalLength = data.length,
): Buffer {
  const body = new Bytes(order)
    .u32(interfaceId)
    .u32(Number(timestamp >> 32n))
    .u32(Number(timestamp & 0xffffffffn))
    .u32(data.length)
    .u32(originalLength)
    .bytes(data)
    .pad32()
    .bytes(optionList(order, [{ code: 1, value: Buffer.from('a comment') }]));
  return pcapngBlock(order, 6, body.build());
}

export function simplePacketBlock(order: ByteOrder, data: Buffer, originalLength = data.length): Buffer {
  return pcapngBlock(order, 3, new Bytes(order).u32(originalLength).bytes(data).build());
}

// ---- frames ----

const MAC_A = Buffer.from([0x02, 0, 0, 0, 0, 0xaa]);
const MAC_VRRP = Buffer.from([0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]);

export function ethernet(etherType: number, payload: Buffer, vlanTags: { tpid: number; vid: number }[] = []): Buffer {
  const out = new Bytes('be').bytes(MAC_VRRP).bytes(MAC_A);
  for (const tag of vlanTags) out.u16(tag.tpid).u16(tag.vid);
  return out.u16(etherType).bytes(payload).build();
}

/** Linux cooked capture v1: packet type, ARPHRD_ETHER, address length 6, 8 address bytes, protocol. */
export function linuxSll(protocol: number, payload: Buffer): Buffer {
  return new Bytes('be').u16(0).u16(1).u16(6).bytes(MAC_A).u16(0).u16(protocol).bytes(payload).build();
}

/** Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, 8 address bytes. */
export function linuxSll2(protocol: number, payload: Buffer): Buffer {
  return new Bytes('be').u16(protocol).u16(0).u32(3).u16(1).u8(0).u8(6).bytes(MAC_A).u16(0).bytes(payload).build();
}

function addressBytes(text: string): Buffer {
  if (!text.includes(':')) return Buffer.from(text.split('.').map(Number));
  const [head = '', tail = ''] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const all = text.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
  const out = new Bytes('be');
  for (const g of all) out.u16(g);
  return out.build();
}

export function ipv4(
  payload: Buffer,
  options: { source?: string; destination?: string; ttl?: number; protocol?: number; options?: Buffer; fragment?: number; totalLength?: number } = {},
): Buffer {
  const ipOptions = options.options ?? Buffer.alloc(0);
  const headerLength = 20 + ipOptions.length;
  return new Bytes('be')
    .u8(0x40 | (headerLength / 4))
    .u8(0xc0)
    .u16(options.totalLength ?? headerLength + payload.length)
    .u16(1)
    .u16(options.fragment ?? 0)
    .u8(options.ttl ?? 255)
    .u8(options.protocol ?? 112)
    .u16(0) // header checksum: not checked by the reader
    .bytes(addressBytes(options.source ?? '10.99.0.1'))
    .bytes(addressBytes(options.destination ?? '224.0.0.18'))
    .bytes(ipOptions)
    .bytes(payload)
    .build();
}

/** extensions: [next-header value of this extension, its bytes] in order; the last names `protocol`. */
export function ipv6(
  payload: Buffer,
  options: { source?: string; destination?: string; hopLimit?: number; protocol?: number; extensions?: { type: number; bytes: Buffer }[] } = {},
): Buffer {
  const extensions = options.extensions ?? [];
  const chain = new Bytes('be');
  extensions.forEach((extension, i) => {
    const next = i + 1 < extensions.length ? (extensions[i + 1] as { type: number }).type : options.protocol ?? 112;
    const bytes = Buffer.from(extension.bytes);
    bytes[0] = next;
    chain.bytes(bytes);
  });
  const afterHeader = Buffer.concat([chain.build(), payload]);
  const firstNext = extensions.length > 0 ? (extensions[0] as { type: number }).type : options.protocol ?? 112;
  return new Bytes('be')
    .u32(0x60000000)
    .u16(afterHeader.length)
    .u8(firstNext)
    .u8(options.hopLimit ?? 255)
    .bytes(addressBytes(options.source ?? 'fe80::1'))
    .bytes(addressBytes(options.destination ?? 'ff02::12'))
    .bytes(afterHeader)
    .build();
}
