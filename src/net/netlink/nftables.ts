/**
 * The few nf_tables messages Accept_Mode off needs (linux/netfilter/nf_tables.h, nfnetlink.h):
 * a table, a base chain on the input hook, and one "destination address is a VIP: drop" rule per
 * address, sent as one batch so the kernel applies them all or none. keepalived 2.2.7 drops
 * traffic to the VIPs of a non-owner master with no_accept the same way (its table "keepalived").
 * nf_tables integers are in network byte order.
 */
import type { AddressFamily } from '../../vrrp/advert.js';
import { type Attribute, bytesAttribute, encodeAttributes, stringAttribute } from './attributes.js';
import { NLA_F_NESTED, NLM_F_ACK, NLM_F_CREATE, NLM_F_REQUEST } from './constants.js';
import { addressToBytes } from './ip-address.js';
import { encodeMessage } from './message.js';

export const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_NEWTABLE = 0;
const NFT_MSG_DELTABLE = 2;
const NFT_MSG_NEWCHAIN = 3;
const NFT_MSG_NEWRULE = 6;
const NFT_MSG_DELRULE = 8;

const NFPROTO_UNSPEC = 0;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

const NFTA_TABLE_NAME = 1;
const NFTA_CHAIN_TABLE = 1;
const NFTA_CHAIN_NAME = 3;
const NFTA_CHAIN_HOOK = 4;
const NFTA_CHAIN_POLICY = 5;
const NFTA_CHAIN_TYPE = 7;
const NFTA_HOOK_HOOKNUM = 1;
const NFTA_HOOK_PRIORITY = 2;
const NFTA_RULE_TABLE = 1;
const NFTA_RULE_CHAIN = 2;
const NFTA_RULE_EXPRESSIONS = 4;
const NFTA_LIST_ELEM = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;
const NFTA_PAYLOAD_DREG = 1;
const NFTA_PAYLOAD_BASE = 2;
const NFTA_PAYLOAD_OFFSET = 3;
const NFTA_PAYLOAD_LEN = 4;
const NFT_PAYLOAD_NETWORK_HEADER = 1;
const NFTA_CMP_SREG = 1;
const NFTA_CMP_OP = 2;
const NFTA_CMP_DATA = 3;
const NFT_CMP_EQ = 0;
const NFTA_DATA_VALUE = 1;
const NFTA_DATA_VERDICT = 2;
const NFTA_VERDICT_CODE = 1;
const NFTA_IMMEDIATE_DREG = 1;
const NFTA_IMMEDIATE_DATA = 2;
const NFT_REG_VERDICT = 0;
const NFT_REG_1 = 1;
const NF_DROP = 0;
const NF_ACCEPT = 1;
const NF_INET_LOCAL_IN = 1;

export const TABLE_NAME = 'hotstandby';
export const CHAIN_NAME = 'no_accept';

function be32(type: number, value: number): Attribute {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value >>> 0, 0);
  return { type, value: buf };
}

function nested(type: number, attributes: Attribute[]): Attribute {
  return bytesAttribute(type | NLA_F_NESTED, encodeAttributes(attributes));
}

function protoOf(family: AddressFamily): number {
  return family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

/** struct nfgenmsg: family, version 0, resource id (big-endian). */
function nfgenmsg(family: number, resourceId = 0): Buffer {
  const buf = Buffer.alloc(4);
  buf[0] = family;
  buf.writeUInt16BE(resourceId, 2);
  return buf;
}

function expression(name: string, data: Attribute[]): Attribute {
  return nested(NFTA_LIST_ELEM, [stringAttribute(NFTA_EXPR_NAME, name), nested(NFTA_EXPR_DATA, data)]);
}

/** The expressions of "ip daddr ADDRESS drop" (ip6 daddr for IPv6). */
function dropToExpressions(address: string, family: AddressFamily): Attribute {
  const bytes = addressToBytes(address, family);
  return nested(NFTA_RULE_EXPRESSIONS, [
    // The destination address is at offset 16 of the IPv4 header, 24 of the IPv6 header.
    expression('payload', [
      be32(NFTA_PAYLOAD_DREG, NFT_REG_1),
      be32(NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER),
      be32(NFTA_PAYLOAD_OFFSET, family === 4 ? 16 : 24),
      be32(NFTA_PAYLOAD_LEN, bytes.length),
    ]),
    expression('cmp', [be32(NFTA_CMP_SREG, NFT_REG_1), be32(NFTA_CMP_OP, NFT_CMP_EQ), nested(NFTA_CMP_DATA, [bytesAttribute(NFTA_DATA_VALUE, bytes)])]),
    expression('immediate', [
      be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT),
      nested(NFTA_IMMEDIATE_DATA, [nested(NFTA_DATA_VERDICT, [be32(NFTA_VERDICT_CODE, NF_DROP)])]),
    ]),
  ]);
}

export interface BatchMessage {
  type: number;
  flags: number;
  payload: Buffer;
}

function nftMessage(type: number, family: AddressFamily, attributes: Attribute[], flags = 0): BatchMessage {
  return { type: (NFNL_SUBSYS_NFTABLES << 8) | type, flags, payload: Buffer.concat([nfgenmsg(protoOf(family)), encodeAttributes(attributes)]) };
}

/**
 * The messages that make the table hold exactly a drop rule per address of `blocked`: table and
 * chain are created if missing, the chain is flushed, the rules added. Empty `blocked` leaves an
 * empty chain that drops nothing.
 */
export function blockMessages(family: AddressFamily, blocked: readonly string[]): BatchMessage[] {
  const table = stringAttribute(NFTA_TABLE_NAME, TABLE_NAME);
  return [
    nftMessage(NFT_MSG_NEWTABLE, family, [table], NLM_F_CREATE),
    nftMessage(
      NFT_MSG_NEWCHAIN,
      family,
      [
        stringAttribute(NFTA_CHAIN_TABLE, TABLE_NAME),
        stringAttribute(NFTA_CHAIN_NAME, CHAIN_NAME),
        nested(NFTA_CHAIN_HOOK, [be32(NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_IN), be32(NFTA_HOOK_PRIORITY, 0)]),
        be32(NFTA_CHAIN_POLICY, NF_ACCEPT),
        stringAttribute(NFTA_CHAIN_TYPE, 'filter'),
      ],
      NLM_F_CREATE,
    ),
    // DELRULE naming only table and chain flushes the chain.
    nftMessage(NFT_MSG_DELRULE, family, [stringAttribute(NFTA_RULE_TABLE, TABLE_NAME), stringAttribute(NFTA_RULE_CHAIN, CHAIN_NAME)]),
    ...blocked.map((address) =>
      nftMessage(
        NFT_MSG_NEWRULE,
        family,
        [stringAttribute(NFTA_RULE_TABLE, TABLE_NAME), stringAttribute(NFTA_RULE_CHAIN, CHAIN_NAME), dropToExpressions(address, family)],
        NLM_F_CREATE,
      ),
    ),
  ];
}

/** The messages that remove the table (with its chain and rules) whether or not it exists. */
export function removeTableMessages(family: AddressFamily): BatchMessage[] {
  const table = stringAttribute(NFTA_TABLE_NAME, TABLE_NAME);
  // Creating it first makes the delete succeed when there was none (nft's own idiom).
  return [nftMessage(NFT_MSG_NEWTABLE, family, [table], NLM_F_CREATE), nftMessage(NFT_MSG_DELTABLE, family, [table])];
}

/**
 * One datagram: batch begin, the messages (each acknowledged, sequence numbers from `firstSeq`),
 * batch end. Returns the bytes and the sequence numbers that will be acknowledged.
 */
export function encodeBatch(messages: readonly BatchMessage[], firstSeq: number): { datagram: Buffer; seqs: number[] } {
  const seqs: number[] = [];
  const parts = [encodeMessage({ type: NFNL_MSG_BATCH_BEGIN, flags: NLM_F_REQUEST, seq: firstSeq, pid: 0 }, nfgenmsg(NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES))];
  messages.forEach((m, i) => {
    const seq = (firstSeq + 1 + i) >>> 0;
    seqs.push(seq);
    parts.push(encodeMessage({ type: m.type, flags: m.flags | NLM_F_REQUEST | NLM_F_ACK, seq, pid: 0 }, m.payload));
  });
  parts.push(encodeMessage({ type: NFNL_MSG_BATCH_END, flags: NLM_F_REQUEST, seq: (firstSeq + 1 + messages.length) >>> 0, pid: 0 }, nfgenmsg(NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES)));
  return { datagram: Buffer.concat(parts), seqs };
}
