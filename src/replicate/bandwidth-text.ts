/**
 * `bandwidthLimit` values: a number and a unit per second. Bytes: B, kB/KB, MB, GB (powers of
 * 1000, as SI says) and KiB, MiB, GiB (IEC 80000-13, powers of 1024); bits: kbit, Mbit, Gbit
 * (powers of 1000, as link speeds are quoted). "/s" may be left out; a bare number is bytes/s.
 */
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kbit: 1000 / 8,
  mbit: 1000 ** 2 / 8,
  gbit: 1000 ** 3 / 8,
};

/** The least limit accepted: below it the heartbeat and request overhead would dominate. */
export const MIN_BANDWIDTH = 1024;

/** Bytes per second; throws SyntaxError (not a rate) or RangeError (too small), quoting the text. */
export function parseBandwidth(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*(?:\/\s*s(?:ec)?)?\s*$/.exec(text);
  if (!match) throw new SyntaxError(`"${text}" is not a rate: use a number and a unit per second, e.g. 10MiB/s, 500KB/s or 100Mbit/s`);
  const unit = match[2]!.toLowerCase();
  const factor = unit === '' ? 1 : UNITS[unit];
  if (factor === undefined) throw new SyntaxError(`"${text}": unknown unit "${match[2]}"; use B, KB, MB, GB, KiB, MiB, GiB, kbit, Mbit or Gbit (per second)`);
  const rate = Number(match[1]) * factor;
  if (rate < MIN_BANDWIDTH) throw new RangeError(`"${text}" is below the least limit of 1KiB/s`);
  return rate;
}

/** A rate for logs and status: "10 MiB/s". */
export function formatBandwidth(bytesPerSecond: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytesPerSecond >= size) return `${Number((bytesPerSecond / size).toFixed(2))} ${unit}/s`;
  }
  return `${Math.round(bytesPerSecond)} B/s`;
}
