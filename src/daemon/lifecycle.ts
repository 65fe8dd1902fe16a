/**
 * What the daemon built, closed again in reverse order of building: at stop, and when start-up
 * fails half way (a socket opened before the failure must not outlive it). Closing goes on past a
 * closer that fails; the failure is logged.
 */
import type { Logger } from '../ports/index.js';

export type Close = () => void | Promise<void>;

export class Lifecycle {
  private readonly closers: Array<{ what: string; close: Close }> = [];

  constructor(private readonly log: Logger) {}

  /**
   * Runs `build` with a fresh lifecycle. If it throws, everything it registered so far is closed
   * (last first) and the error is passed on.
   */
  static async build<T>(log: Logger, build: (lifecycle: Lifecycle) => Promise<T>): Promise<T> {
    const lifecycle = new Lifecycle(log);
    try {
      return await build(lifecycle);
    } catch (err) {
      await lifecycle.closeAll();
      throw err;
    }
  }

  /** Registers `close`; it runs before everything registered earlier. */
  onClose(what: string, close: Close): void {
    this.closers.push({ what, close });
  }

  /** Registers `thing.close()` and returns `thing`, so building and owning are one line. */
  adopt<T extends { close(): void | Promise<void> }>(what: string, thing: T): T {
    this.onClose(what, () => thing.close());
    return thing;
  }

  /** Closes everything registered, last first. Later calls close only what was registered since. */
  async closeAll(): Promise<void> {
    for (let next = this.closers.pop(); next !== undefined; next = this.closers.pop()) {
      try {
        await next.close();
      } catch (err) {
        this.log.log('warn', `error while closing ${next.what}`, { error: String(err) });
      }
    }
  }
}
