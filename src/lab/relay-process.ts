/**
 * The impairment relay's own process, started in the switch namespace: it forwards Ethernet
 * frames between the host's link (hostSide) and the bridge (switchSide) on two AF_PACKET sockets,
 * dropping and delaying them per direction as configured. Needed because this kernel has no
 * sch_netem (see README.md).
 *
 * Talks JSON lines: prints {"event":"ready"}; reads {"fromHost":{…},"toHost":{…}} (answers
 * {"event":"applied"}) and {"stats":true} (answers {"event":"stats",…}); ends when stdin closes.
 */
import { endianness } from 'node:os';
import { createInterface } from 'node:readline';
import { loadNative, type NativeBinding, type NativeSocket } from '../net/native.js';
import { ImpairedDirection, SeededRandom, type Clock, type Impairment } from './impairment.js';
import { completeTransportChecksum } from './l4-checksum.js';
import { htons, packetMembership, sockaddrLl } from './sockaddr.js';

export interface RelayConfig {
  /** Interface (in the relay's namespace) whose peer is the host's interface. */
  hostSide: string;
  /** Interface whose peer is a port of the bridge. */
  switchSide: string;
  seed: number;
  fromHost: Impairment;
  toHost: Impairment;
}

export type RelayCommand = { fromHost: Impairment; toHost: Impairment } | { stats: true };

/** tpacket_auxdata.tp_status bit: the checksum is left to offload (include/uapi/linux/if_packet.h). */
const TP_STATUS_CSUMNOTREADY = 1 << 3;

/**
 * True when the PACKET_AUXDATA control message says the frame's checksum is not filled in.
 * Assumes the 64-bit cmsghdr layout (size_t length, int level, int type).
 */
export function checksumNotReady(control: Buffer, solPacket: number, packetAuxdata: number): boolean {
  const little = endianness() === 'LE';
  let offset = 0;
  while (offset + 16 <= control.length) {
    const length = Number(little ? control.readBigUInt64LE(offset) : control.readBigUInt64BE(offset));
    const level = little ? control.readInt32LE(offset + 8) : control.readInt32BE(offset + 8);
    const type = little ? control.readInt32LE(offset + 12) : control.readInt32BE(offset + 12);
    if (length < 16) return false;
    if (level === solPacket && type === packetAuxdata && offset + 20 <= control.length) {
      const status = little ? control.readUInt32LE(offset + 16) : control.readUInt32BE(offset + 16);
      return (status & TP_STATUS_CSUMNOTREADY) !== 0;
    }
    offset += Math.ceil(length / 8) * 8;
  }
  return false;
}

function openPort(native: NativeBinding, name: string): NativeSocket {
  const c = native.constants;
  const ethAll = c.ETH_P_ALL as number;
  const socket = new native.Socket(c.AF_PACKET as number, c.SOCK_RAW as number, htons(ethAll));
  const ifindex = native.ifNameToIndex(name);
  // Our own transmissions would otherwise come back to us and loop.
  socket.setOptionInt(c.SOL_PACKET as number, c.PACKET_IGNORE_OUTGOING as number, 1);
  socket.setOptionInt(c.SOL_PACKET as number, c.PACKET_AUXDATA as number, 1);
  socket.setOptionBuffer(c.SOL_PACKET as number, c.PACKET_ADD_MEMBERSHIP as number, packetMembership(ifindex, c.PACKET_MR_PROMISC as number));
  socket.setOptionInt(c.SOL_SOCKET as number, c.SO_RCVBUFFORCE as number, 4 * 1024 * 1024);
  socket.bind(sockaddrLl(c.AF_PACKET as number, ethAll, ifindex));
  return socket;
}

const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export async function runRelay(config: RelayConfig): Promise<void> {
  const native = loadNative();
  const c = native.constants;
  const hostPort = openPort(native, config.hostSide);
  const switchPort = openPort(native, config.switchSide);
  const random = new SeededRandom(config.seed);
  const sender = (socket: NativeSocket) => (frame: Buffer): boolean => {
    try {
      return socket.sendTo(frame, null) >= 0;
    } catch {
      return false; // the link is cut (ENETDOWN) or the frame does not fit: a loss, as on a wire
    }
  };
  const fromHost = new ImpairedDirection(random, sender(switchPort), systemClock);
  const toHost = new ImpairedDirection(random, sender(hostPort), systemClock);
  fromHost.configure(config.fromHost);
  toHost.configure(config.toHost);

  const forward = (direction: ImpairedDirection) => (batch: { data: Buffer; control: Buffer }[]): void => {
    for (const message of batch) {
      if (checksumNotReady(message.control, c.SOL_PACKET as number, c.PACKET_AUXDATA as number)) {
        completeTransportChecksum(message.data);
      }
      direction.offer(message.data);
    }
  };
  const report = (error: Error): void => {
    process.stderr.write(`relay receive error: ${error.message}\n`);
  };
  hostPort.startReceiving(forward(fromHost), report);
  switchPort.startReceiving(forward(toHost), report);
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);

  await new Promise<void>((resolve) => {
    const input = createInterface({ input: process.stdin });
    input.on('line', (line) => {
      try {
        const command = JSON.parse(line) as RelayCommand;
        if ('stats' in command) {
          process.stdout.write(`${JSON.stringify({ event: 'stats', fromHost: fromHost.stats, toHost: toHost.stats })}\n`);
        } else {
          fromHost.configure(command.fromHost);
          toHost.configure(command.toHost);
          process.stdout.write(`${JSON.stringify({ event: 'applied', fromHost: fromHost.current, toHost: toHost.current })}\n`);
        }
      } catch (error) {
        process.stdout.write(`${JSON.stringify({ event: 'error', message: (error as Error).message })}\n`);
      }
    });
    input.on('close', () => resolve());
  });
  fromHost.close();
  toHost.close();
  hostPort.close();
  switchPort.close();
}
