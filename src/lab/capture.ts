/** Packet capture with tcpdump into a pcap file, started and stopped without losing packets. */
import type { LabProcess } from './lab-process.js';

export interface CaptureOptions {
  /** Interface in the host's namespace; default the host's lab interface. */
  iface?: string;
  /** Name of the pcap file (and log) in the lab directory; default derived from the host. */
  name?: string;
}

/**
 * --immediate-mode hands each packet over at once (libpcap otherwise holds them in ring blocks
 * for up to a second, and what is held at SIGINT is lost), -U writes each to the file at once,
 * -s 0 keeps whole frames, -Z root stops tcpdump from dropping to a user who cannot write in the
 * lab directory.
 */
export function tcpdumpCommand(iface: string, path: string, filter: string): string[] {
  const command = ['tcpdump', '-i', iface, '-n', '--immediate-mode', '-U', '-s', '0', '-Z', 'root', '-w', path];
  if (filter.trim()) command.push(filter);
  return command;
}

export class Capture {
  constructor(
    /** The pcap file; complete once stop() has resolved. */
    readonly path: string,
    private readonly process: LabProcess,
  ) {}

  /** Waits until tcpdump listens, so nothing sent afterwards is missed. */
  async ready(timeoutMs = 10_000): Promise<this> {
    await this.process.waitForLine(/listening on/, timeoutMs);
    return this;
  }

  /** Ends tcpdump with SIGINT (it flushes and closes the file) and returns the file's path. */
  async stop(): Promise<string> {
    const exit = await this.process.stop('SIGINT', { timeoutMs: 5000 });
    if (exit.code !== 0 && exit.signal !== 'SIGINT') {
      throw new Error(`tcpdump for '${this.path}' ended with code ${exit.code} signal ${exit.signal} (log: ${this.process.logPath})`);
    }
    return this.path;
  }
}
