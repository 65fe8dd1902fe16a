/**
 * `hotstandby sniff --interface IF`: every VRRP frame on the wire of IF (an AF_PACKET capture,
 * so adverts not addressed to us and our own are seen too), printed as it arrives with the
 * same verdicts and format as the capture-file mode.
 */
import { performance } from 'node:perf_hooks';
import { ipPacketOf } from '../pcap/captured-packet.js';
import { loadNative } from '../net/native.js';
import { openPacketCapture } from '../net/packet-socket.js';
import { VRRP_PROTOCOL } from '../vrrp/advert.js';
import { describeVrrpPacket, type SniffRecord } from './sniff-format.js';

const LINKTYPE_ETHERNET = 1;
const EXIT_UNAVAILABLE = 69;
const EXIT_NO_PERMISSION = 77;

export async function sniffInterface(name: string, format: (record: SniffRecord) => string, count?: number): Promise<number> {
  let native;
  let ifindex: number;
  try {
    native = loadNative();
    ifindex = native.ifNameToIndex(name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    console.error(`hotstandby sniff: ${code === 'ENODEV' ? `no interface named '${name}'` : (err as Error).message}`);
    return EXIT_UNAVAILABLE;
  }
  return new Promise<number>((resolve) => {
    let printed = 0;
    let capture: { close(): void } | undefined;
    const finish = (code: number) => {
      capture?.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = () => finish(0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      capture = openPacketCapture(
        ifindex,
        native,
        ({ frame }) => {
          const ip = ipPacketOf({ linkType: LINKTYPE_ETHERNET, data: frame });
          if (!ip.ok || ip.packet.protocol !== VRRP_PROTOCOL) return;
          const time = (performance.timeOrigin + performance.now()) / 1000;
          process.stdout.write(`${format(describeVrrpPacket(time, ip.packet, ip.packet.payload))}\n`);
          if (count !== undefined && ++printed >= count) finish(0);
        },
        (err) => console.error(`hotstandby sniff: capture error: ${err.message}`),
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      console.error(
        `hotstandby sniff: cannot capture on '${name}': ${code === 'EPERM' ? 'permission denied (needs root or CAP_NET_RAW)' : (err as Error).message}`,
      );
      finish(code === 'EPERM' ? EXIT_NO_PERMISSION : EXIT_UNAVAILABLE);
    }
  });
}
