/**
 * What the capture file readers yield: one captured frame with its link-layer type, whatever
 * the file format (classic pcap or pcapng).
 */

/** LINKTYPE_* values (tcpdump.org link-layer header types) the packet decoder understands. */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export interface CaptureRecord {
  /** Capture time in seconds since the Unix epoch (fractional). */
  time: number;
  linkType: number;
  /** The captured bytes (a view into the file's buffer, possibly cut at the snap length). */
  data: Buffer;
  /** Length of the frame on the wire; larger than data.length when the capture was cut. */
  originalLength: number;
}

/**
 * A record the reader had to skip although the file's framing around it is intact (for example
 * a pcapng packet block naming an interface that was never described).
 */
export interface SkippedRecord {
  /** Byte offset of the record (block) in the file. */
  offset: number;
  reason: string;
}

export interface ReadCaptureOptions {
  /** Called for each skipped record; without it skipped records are silently dropped. */
  onSkipped?: (skipped: SkippedRecord) => void;
}
