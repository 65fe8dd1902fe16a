/**
 * One operation on one resource, with its time limit: the driver's promise raced against an
 * AbortSignal that fires at the timeout (or when the caller aborts it: a promote overtaken by a
 * loss of mastership, the daemon stopping). The outcome is always known when this resolves,
 * even if the driver never returns: a driver that ignores its signal is left behind and logged.
 */
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { OperationContext, ResourceOperation } from './resource.js';

export type OperationResult = 'ok' | 'failed' | 'timeout' | 'aborted';

export interface OperationOutcome<T> {
  result: OperationResult;
  value?: T;
  /** Why it failed, timed out or was aborted. */
  error?: string;
  durationMs: number;
}

export class OperationTimeout extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`${operation} timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export interface OperationRun {
  operation: ResourceOperation | 'fence';
  timeoutMs: number;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Aborts the operation early (the reason is the signal's). */
  cancel?: AbortSignal;
}

export async function runOperation<T>(run: OperationRun, fn: (ctx: OperationContext) => Promise<T>): Promise<OperationOutcome<T>> {
  const started = run.clock.now();
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(run.cancel?.reason ?? new Error(`${run.operation} aborted`));
  if (run.cancel?.aborted) onCancel();
  run.cancel?.addEventListener('abort', onCancel, { once: true });
  const cancelTimer = run.timers.at(started + run.timeoutMs, () => controller.abort(new OperationTimeout(run.operation, run.timeoutMs)));
  let timedOut = false;
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => {
      timedOut = controller.signal.reason instanceof OperationTimeout;
      reject(controller.signal.reason);
    };
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  // Called at once (never after an abort the caller already saw), a synchronous throw as a rejection.
  let work: Promise<T>;
  if (controller.signal.aborted) work = Promise.reject(controller.signal.reason);
  else {
    try {
      work = Promise.resolve(fn({ signal: controller.signal, log: run.log }));
    } catch (err) {
      work = Promise.reject(err);
    }
  }
  work.catch(() => undefined);
  try {
    const value = await Promise.race([work, aborted]);
    return { result: 'ok', value, durationMs: run.clock.now() - started };
  } catch (err) {
    const durationMs = run.clock.now() - started;
    if (controller.signal.aborted) {
      // The driver may still be running: note when (if ever) it gives up.
      work.then(
        () => run.log.log('warn', `${run.operation} returned after it was abandoned`),
        () => undefined,
      );
      return { result: timedOut ? 'timeout' : 'aborted', error: messageOf(controller.signal.reason), durationMs };
    }
    return { result: 'failed', error: messageOf(err), durationMs };
  } finally {
    cancelTimer();
    run.cancel?.removeEventListener('abort', onCancel);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
