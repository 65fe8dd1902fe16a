/**
 * On a standby: keeps the one WAL segment file a promotion would otherwise create, zero-fill and
 * fsync before it accepts writes (wal-prealloc.ts: which file and why), made beforehand; the
 * driver's monitor calls `standbyRound` on a standby, `promote` calls `halt` first.
 *
 * Safety (docs/postgresql.md, "The next WAL segment, made beforehand"):
 * - Only names of a timeline above the one the standby follows and with no history file are
 *   made or removed: never a file of the current timeline or of any timeline that exists.
 * - Made with link(2), which never replaces an existing name (wal-segment-file.ts).
 * - A stale file (replay moved on to the next segment, or the timeline guess changed) is removed
 *   only if still all zeros, and only after checking, right before the unlink, that the server is
 *   in recovery and its timeline has no history file: a promotion writes `<TLI>.history` before
 *   it copies or writes any segment of the new timeline (StartupXLOG: writeTimeLineHistory, then
 *   XLogInitNewTimeline), so such a file is not yet PostgreSQL's.
 * - A wrong guess costs nothing but the file: zeros are the end of WAL to every reader, the
 *   walreceiver writes over an existing segment from its start, and PostgreSQL's own restartpoints
 *   recycle or remove old segments whatever their timeline (RemoveOldXlogFiles compares the
 *   segment part of the name only).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../ports/index.js';
import { historyTimelines, preallocTarget, walFileTimeline } from './wal-prealloc.js';
import { ensureZeroSegment, moveZeroSegment, removeZeroSegment, type FileOwner } from './wal-segment-file.js';

/** Replay this far into its segment: make the file (PostgreSQL needs it from 75 %). */
export const PREALLOC_THRESHOLD = 0.5;

export interface StandbyPosition {
  readonly replayLsn: bigint;
  readonly timeline: number;
}

export interface PreallocServer {
  /** wal_segment_size in bytes. */
  segmentSize(signal: AbortSignal): Promise<number>;
  /** pg_is_in_recovery(), asked right before a removal. */
  inRecovery(signal: AbortSignal): Promise<boolean>;
}

export class WalPreallocKeeper {
  /** The file this keeper made and has not removed. */
  private made: string | undefined;
  private running: { controller: AbortController; done: Promise<void> } | undefined;
  private size: number | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly walDir: string,
    private readonly server: PreallocServer,
    private readonly owner: () => Promise<FileOwner>,
  ) {}

  /** The file made beforehand now, if any (for describe and tests). */
  get file(): string | undefined {
    return this.made;
  }

  /** In the background (making the file fsyncs 16 MB: the monitor must stay quick); one at a time. */
  standbyRound(position: StandbyPosition, log: Logger): void {
    if (this.running !== undefined) return;
    const controller = new AbortController();
    const done = this.round(position, log, controller.signal)
      .then(() => {
        this.lastError = undefined;
      }, (error: unknown) => {
        const message = (error as Error).message;
        if (!controller.signal.aborted && message !== this.lastError) log.log('warn', `Could not prepare the next WAL segment for a promotion: ${message}`);
        this.lastError = message;
      })
      .finally(() => {
        this.running = undefined;
      });
    this.running = { controller, done };
  }

  /** Stops any work in progress and waits for it (before pg_promote: nothing may touch pg_wal then). */
  async halt(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    running.controller.abort(new Error('promotion'));
    await running.done;
  }

  private async round(position: StandbyPosition, log: Logger, signal: AbortSignal): Promise<void> {
    this.size ??= await this.server.segmentSize(signal);
    const size = this.size;
    const names = await readdir(this.walDir);
    const histories = historyTimelines(names);
    const target = preallocTarget({ replayLsn: position.replayLsn, timeline: position.timeline, histories, segmentSize: size, threshold: PREALLOC_THRESHOLD });
    // A file of ours from a daemon run before this one is recognised by what only we make: a
    // segment of a timeline above the followed one with no history file (left to PostgreSQL's
    // recycling otherwise; see above).
    // Below the threshold (replay just entered a new segment) ours is kept, to be renamed to the
    // next target once there is one: a promotion meanwhile replaces it with its copy of the last
    // segment (XLogFileCopy installs over an existing name), or leaves it as a future segment.
    const held = target === undefined ? this.made : undefined;
    const stale = new Set(names.filter((n) => n !== target && n !== held && isFuture(n, position.timeline, histories)));
    if (this.made !== undefined && target !== undefined && this.made !== target) stale.add(this.made);
    // Replay moved on a segment: the file made for the last one becomes the next one (a rename, no
    // 16 MB written again; the standby's disk sees one segment of zeros, not one per segment).
    const previous = this.made;
    if (target !== undefined && previous !== undefined && stale.has(previous) && !names.includes(target)) {
      signal.throwIfAborted();
      if (await moveZeroSegment(this.walDir, previous, target, size, () => this.removable(previous, position.timeline, signal))) {
        stale.delete(previous);
        this.made = target;
        // Once per segment of WAL: debug (the first one made is logged at info).
        log.log('debug', 'Renamed the WAL segment made for a promotion to the one a promotion now would create', { from: previous, file: target });
        return;
      }
    }
    for (const name of stale) {
      signal.throwIfAborted();
      if (!(await this.removable(name, position.timeline, signal))) continue;
      if (await removeZeroSegment(this.walDir, name, size, () => this.removable(name, position.timeline, signal))) {
        log.log('info', 'Removed a WAL segment made for a promotion that no longer matches', { file: name });
      }
      if (this.made === name) this.made = undefined;
    }
    if (target === undefined) return;
    signal.throwIfAborted();
    if (await ensureZeroSegment(this.walDir, target, size, await this.owner(), signal)) {
      log.log('info', 'Made the WAL segment a promotion would create (it then starts writing without zero-filling it)', { file: target });
    }
    this.made = target;
  }

  /** Still a future timeline with no history file, and the server still in recovery. */
  private async removable(name: string, timeline: number, signal: AbortSignal): Promise<boolean> {
    const names = await readdir(this.walDir);
    if (!isFuture(name, timeline, historyTimelines(names))) return false;
    return this.server.inRecovery(signal);
  }
}

function isFuture(name: string, timeline: number, histories: ReadonlySet<number>): boolean {
  const tli = walFileTimeline(name);
  return tli !== undefined && tli > timeline && !histories.has(tli);
}

export function walDirOf(dataDir: string): string {
  return join(dataDir, 'pg_wal');
}
