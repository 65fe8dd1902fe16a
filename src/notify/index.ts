/** keepalived-style notifications: hook scripts, the generic notify script and the notify FIFO. */
export { NotifyDispatcher, DEFAULT_HOOK_TIMEOUT_MS, type NotifyDispatcherDeps, type NotifyTarget, type UserResolver } from './dispatcher.js';
export { NotifyFifo, type NotifyFifoSink } from './notify-fifo.js';
export { fifoLine, hooksFor, type HookKeyword, type HookSpec, type NotifyEvent, type NotifyKind, type NotifyState } from './notify-args.js';
export { runHookProcess, type HookOutcome, type HookProcessOptions, type HookResult, type RunAs, type SpawnFn } from './hook-process.js';
