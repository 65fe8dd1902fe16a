/**
 * Where the demo writes: a live line redrawn in place on a terminal, printed only when it
 * changes otherwise, and not at all with --quiet; messages always go through (above the live
 * line on a terminal).
 */

export type DisplayMode = 'tty' | 'lines' | 'quiet';

export interface TextSink {
  write(text: string): unknown;
}

const CLEAR_LINE = '\r\x1b[K';

export class Display {
  private liveText: string | undefined;
  private lastKey: string | undefined;

  constructor(
    private readonly sink: TextSink,
    readonly mode: DisplayMode,
  ) {}

  /** The live line; `key` says whether it changed in substance (see liveLineKey). */
  live(text: string, key: string): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'tty') {
      this.liveText = text;
      this.sink.write(`${CLEAR_LINE}${text}`);
      return;
    }
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.sink.write(`${text}\n`);
  }

  /** A message line; `verbose` ones are left out with --quiet. */
  say(text: string, options: { verbose?: boolean } = {}): void {
    if (options.verbose === true && this.mode === 'quiet') return;
    if (this.mode === 'tty' && this.liveText !== undefined) {
      this.sink.write(`${CLEAR_LINE}${text}\n${this.liveText}`);
      return;
    }
    this.sink.write(`${text}\n`);
  }

  /** Ends the live line so that what follows starts on a fresh line. */
  endLive(): void {
    if (this.mode === 'tty' && this.liveText !== undefined) this.sink.write(`${CLEAR_LINE}${this.liveText}\n`);
    this.liveText = undefined;
    this.lastKey = undefined;
  }
}
