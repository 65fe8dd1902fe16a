/**
 * `hotstandby sniff`: decodes the VRRP adverts of a capture file (classic pcap or pcapng) and
 * prints each with its receive verdict, as readable lines or JSON lines.
 * Exit codes follow sysexits: 64 usage, 65 malformed file, 66 cannot read the file, 69 unavailable.
 */
import { readFile } from 'node:fs/promises';
import { ipPacketOf } from '../pcap/captured-packet.js';
import type { PacketSkip } from '../pcap/packet-skip.js';
import { readCapture } from '../pcap/read-capture.js';
import { VRRP_PROTOCOL } from '../vrrp/advert.js';
import { parseCommand } from './parse-command.js';
import { describeVrrpPacket, formatSniffJson, formatSniffText } from './sniff-format.js';
import { sniffInterface } from './sniff-live.js';

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_DATA_ERROR = 65;
const EXIT_NO_INPUT = 66;

/** Lines are written in batches: one write per packet is slow for large captures. */
const LINES_PER_WRITE = 512;

const USAGE = `usage: hotstandby sniff --pcap FILE [--json]
       hotstandby sniff --interface IF [--json] [--count N]   (root)

Decodes the VRRP adverts (IP protocol 112) in a capture and prints one line per advert with its
receive verdict ("ok" or the drop reason). Without an instance configuration the VRID,
authentication and interval checks are skipped.

options:
  --pcap FILE        read a classic pcap or pcapng file (tcpdump -w, Wireshark)
  --interface IF     capture live on IF (every VRRP frame on the wire, ours included) until
                     SIGINT / SIGTERM, or until --count N adverts were printed
  --json             one JSON object per line: time, src, dst, ttl, version, type, vrid, priority,
                     intervalMs, addresses, authType and authData (v2), checksumOk, verdict
  -h, --help         show this help`;

interface SniffOptions {
  pcap?: string;
  interface?: string;
  count?: number;
  json: boolean;
}

export async function runSniffCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'sniff',
    help: USAGE,
    options: {
      pcap: { type: 'string' },
      interface: { type: 'string' },
      count: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    usageExit: EXIT_USAGE,
  });
  if (typeof parsed === 'number') return parsed;
  const options = sniffOptions(parsed.values);
  if (typeof options === 'string') return parsed.usage(options);
  if (options.interface !== undefined) {
    return sniffInterface(options.interface, options.json ? formatSniffJson : formatSniffText, options.count);
  }
  return sniffFile(options.pcap as string, options.json);
}

/** The options, or what is wrong with them. */
function sniffOptions(values: { pcap?: string; interface?: string; count?: string; json: boolean }): SniffOptions | string {
  const options: SniffOptions = { json: values.json };
  if (values.pcap !== undefined) options.pcap = values.pcap;
  if (values.interface !== undefined) options.interface = values.interface;
  if (values.count !== undefined) {
    const count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) return `Option --count needs a positive whole number, got '${values.count}'`;
    options.count = count;
  }
  if (options.pcap !== undefined && options.interface !== undefined) return 'Give either --pcap or --interface, not both';
  if (options.pcap === undefined && options.interface === undefined) return 'Missing --pcap FILE or --interface IF';
  if (options.pcap === '') return 'Option --pcap needs a file name';
  return options;
}

async function sniffFile(path: string, json: boolean): Promise<number> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    console.error(`hotstandby sniff: cannot read '${path}': ${describeFileError(err)}`);
    return EXIT_NO_INPUT;
  }
  const out = new LineWriter();
  const format = json ? formatSniffJson : formatSniffText;
  let index = 0;
  const reportedLinkTypes = new Set<number>();
  try {
    // Packet numbers count every record, as Wireshark's frame numbers do.
    const records = readCapture(file, {
      onSkipped: ({ offset, reason }) => {
        index++;
        console.error(`hotstandby sniff: packet ${index} (offset ${offset}) skipped: ${reason}`);
      },
    });
    for (const record of records) {
      index++;
      const ip = ipPacketOf(record);
      if (!ip.ok) {
        reportSkip(ip, index, record.linkType, reportedLinkTypes);
        continue;
      }
      if (ip.packet.protocol !== VRRP_PROTOCOL) continue;
      const line = format(describeVrrpPacket(record.time, ip.packet, ip.packet.payload));
      if (!(await out.push(line))) break;
    }
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    await out.close();
    console.error(`hotstandby sniff: '${path}': ${err.message}`);
    return EXIT_DATA_ERROR;
  }
  await out.close();
  return EXIT_OK;
}

/**
 * Speaks up only about what may be a damaged VRRP packet: other traffic (ARP, other protocols,
 * even when cut by the snap length) is not our business; an unknown link type is said once.
 */
function reportSkip(skipped: PacketSkip, index: number, linkType: number, reportedLinkTypes: Set<number>): void {
  if (skipped.kind === 'not-ip') return;
  if (skipped.protocol !== undefined && skipped.protocol !== VRRP_PROTOCOL) return;
  if (skipped.kind === 'unsupported-link') {
    if (reportedLinkTypes.has(linkType)) return;
    reportedLinkTypes.add(linkType);
    console.error(`hotstandby sniff: ${skipped.reason}: its packets are skipped`);
    return;
  }
  console.error(`hotstandby sniff: packet ${index} skipped: ${skipped.reason}`);
}

function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Batches lines to stdout and waits for each write, so a large capture does not pile up in
 * memory. Stops quietly when the reader goes away (EPIPE, e.g. `| head`).
 */
class LineWriter {
  private lines: string[] = [];
  private closed = false;
  private readonly onError = (): void => {
    this.closed = true;
  };

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    // Without a listener a write error (EPIPE) is an uncaught exception.
    stream.on('error', this.onError);
  }

  /** Queues a line; false once the output is closed. */
  async push(line: string): Promise<boolean> {
    this.lines.push(line);
    if (this.lines.length >= LINES_PER_WRITE) await this.flush();
    return !this.closed;
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0 || this.closed) return;
    const chunk = this.lines.join('\n') + '\n';
    this.lines = [];
    await new Promise<void>((resolve) => {
      this.stream.write(chunk, (err) => {
        if (err) this.closed = true;
        resolve();
      });
    });
  }

  /** Flushes and detaches; after a write error the listener stays for the error still in flight. */
  async close(): Promise<void> {
    await this.flush();
    if (!this.closed) this.stream.off('error', this.onError);
  }
}
