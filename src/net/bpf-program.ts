/**
 * Classic BPF programs for packet sockets (linux/filter.h; the kernel's
 * Documentation/networking/filter.rst): struct sock_filter { u16 code; u8 jt; u8 jf; u32 k }
 * in host order, passed to SO_ATTACH_FILTER. A filter keeps the kernel from waking the daemon for
 * frames it would only throw away.
 */
import { endianness } from 'node:os';

const BPF_LD_H_ABS = 0x28;
const BPF_LD_B_ABS = 0x30;
const BPF_JEQ_K = 0x15;
const BPF_RET_K = 0x06;
/** The whole frame (the largest snap length a classic filter returns). */
const ACCEPT = 0xffff;

interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function encode(program: readonly Instruction[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  const little = endianness() === 'LE';
  program.forEach(({ code, jt, jf, k }, i) => {
    if (little) {
      out.writeUInt16LE(code, i * 8);
      out.writeUInt32LE(k >>> 0, i * 8 + 4);
    } else {
      out.writeUInt16BE(code, i * 8);
      out.writeUInt32BE(k >>> 0, i * 8 + 4);
    }
    out[i * 8 + 2] = jt;
    out[i * 8 + 3] = jf;
  });
  return out;
}

/**
 * Accepts Ethernet frames carrying IPv6 with ICMPv6 as the first next header (no extension
 * headers, as RFC 4861 §7.1.2 senders send neighbour discovery) of ICMPv6 type `icmpType`;
 * drops the rest.
 */
export function icmpv6TypeFilter(icmpType: number): Buffer {
  const drop = 7;
  const at = (index: number, target: number): number => target - index - 1;
  return encode([
    { code: BPF_LD_H_ABS, jt: 0, jf: 0, k: 12 }, // ethertype
    { code: BPF_JEQ_K, jt: 0, jf: at(1, drop), k: 0x86dd },
    { code: BPF_LD_B_ABS, jt: 0, jf: 0, k: 14 + 6 }, // IPv6 next header
    { code: BPF_JEQ_K, jt: 0, jf: at(3, drop), k: 58 },
    { code: BPF_LD_B_ABS, jt: 0, jf: 0, k: 14 + 40 }, // ICMPv6 type
    { code: BPF_JEQ_K, jt: 0, jf: at(5, drop), k: icmpType },
    { code: BPF_RET_K, jt: 0, jf: 0, k: ACCEPT },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0 },
  ]);
}
