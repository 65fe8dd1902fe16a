/**
 * Reads a capture file of either format, recognised by its first four bytes.
 */
import { isClassicPcap, readClassicPcap } from './classic-pcap.js';
import type { CaptureRecord, ReadCaptureOptions } from './capture-record.js';
import { isPcapng, readPcapng } from './pcapng.js';

/**
 * Yields the captured frames of a classic pcap or pcapng file held in memory.
 * Throws SyntaxError naming the problem and its offset when the file itself is malformed
 * (after yielding the records before that point).
 */
export function readCapture(file: Buffer, options: ReadCaptureOptions = {}): Generator<CaptureRecord> {
  if (isPcapng(file)) return readPcapng(file, options);
  if (isClassicPcap(file)) return readClassicPcap(file, options);
  const start = file.subarray(0, 4).toString('hex') || 'nothing';
  throw new SyntaxError(`Not a pcap or pcapng file: it starts with ${start} at offset 0`);
}
