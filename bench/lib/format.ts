/** Number and table formatting for the benchmark's printed and Markdown output. */

/** A number with `digits` decimals, or '-' for a missing or meaningless value. */
export function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** "p50 / p90" style pairs. */
export function pair(a: number | null | undefined, b: number | null | undefined, digits = 1): string {
  return `${fmt(a, digits)} / ${fmt(b, digits)}`;
}

/** A Markdown table (GitHub flavour); it reads fine as plain text too. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
