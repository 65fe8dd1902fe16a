/**
 * HTTP status lists as people write them: "200", "200-299", "2xx", or several separated by
 * commas ("200-299, 301"). Ranges are inclusive; checking them against 100..599 is the shared
 * validation's business.
 */

const SINGLE = /^(\d{3})$/;
const RANGE = /^(\d{3})\s*-\s*(\d{3})$/;
const CLASS = /^([1-5])xx$/i;

/** The ranges `text` names, or undefined when it is not a status list. */
export function parseStatusRanges(text: string): Array<[number, number]> | undefined {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const single = SINGLE.exec(item);
    const range = RANGE.exec(item);
    const klass = CLASS.exec(item);
    if (single) ranges.push([Number(single[1]), Number(single[1])]);
    else if (range) ranges.push([Number(range[1]), Number(range[2])]);
    else if (klass) ranges.push([Number(klass[1]) * 100, Number(klass[1]) * 100 + 99]);
    else return undefined;
  }
  return ranges;
}

/** "200-299, 301": ranges written back, for messages. */
export function formatStatusRanges(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(', ');
}
