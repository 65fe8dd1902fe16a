/**
 * The progress bar of long verbs (run, restore, check): on a terminal (stderr is a TTY) a line
 * redrawn four times a second with the fraction done, the rate and the time left; nothing
 * otherwise (logs and pipes stay clean, as restic's --quiet).
 */

export type ProgressUnit = 'bytes' | 'packs' | 'files';

export interface ProgressState {
  done: number;
  /** Unknown while a scan is still counting. */
  total?: number;
  elapsedMs: number;
  unit: ProgressUnit;
  /** Extra text after the numbers (e.g. "1234 files"). */
  note?: string;
  width: number;
}

/** Bytes in binary units ("1.5 MiB"), with `digits` decimals above bytes. */
export function humanBytes(n: number, digits = 1): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(digits)} ${units[i]}`;
}

const human = (n: number, unit: ProgressUnit): string => (unit === 'bytes' ? humanBytes(Math.round(n)) : String(Math.round(n)));

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** One line of the bar. Pure. */
export function renderProgress(p: ProgressState): string {
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? p.done / secs : 0;
  const rateText = `${human(rate, p.unit)}${p.unit === 'bytes' ? '/s' : `/s ${p.unit}`}`;
  const amount = p.total !== undefined ? `${human(p.done, p.unit)} / ${human(p.total, p.unit)}` : human(p.done, p.unit);
  let eta = '';
  if (p.total !== undefined && rate > 0 && p.done < p.total) eta = ` ETA ${formatDuration((p.total - p.done) / rate)}`;
  const tail = ` ${amount}  ${rateText}${eta}  [${formatDuration(secs)}]${p.note ? '  ' + p.note : ''}`;
  if (p.total === undefined || p.total <= 0) return tail.trim().slice(0, p.width - 1);
  const fraction = Math.min(1, p.done / p.total);
  const percent = `${(fraction * 100).toFixed(1).padStart(5)}%`;
  const barWidth = Math.max(10, Math.min(40, p.width - tail.length - percent.length - 4));
  const filled = Math.round(fraction * barWidth);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (fraction < 1 ? '>' : '=') : '') + ' '.repeat(barWidth - filled);
  return `[${bar}] ${percent}${tail}`.slice(0, p.width - 1);
}

export interface Progress {
  update(done: number, total?: number, note?: string): void;
  stop(): void;
}

/**
 * How often the bar is redrawn and its numbers polled, in ms: 250, or HOTSTANDBY_PROGRESS_MS (10–10000;
 * tests shorten it, so that a short run still shows lines on the way on a fast machine).
 */
export function progressPeriodMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.HOTSTANDBY_PROGRESS_MS);
  return Number.isInteger(n) && n >= 10 && n <= 10_000 ? n : 250;
}

export function startProgress(stream: NodeJS.WriteStream, unit: ProgressUnit, now: () => number = () => performance.now()): Progress {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const start = now();
  let state: { done: number; total?: number; note?: string } = { done: 0 };
  const draw = () => {
    const line = renderProgress({ ...state, elapsedMs: now() - start, unit, width: stream.columns || 80 });
    stream.write(`\r${line}\u001b[K`);
  };
  const timer = setInterval(draw, progressPeriodMs());
  timer.unref();
  return {
    update(done, total, note) {
      state = { done, ...(total !== undefined ? { total } : {}), ...(note !== undefined ? { note } : {}) };
    },
    stop() {
      clearInterval(timer);
      draw();
      stream.write('\n');
    },
  };
}
