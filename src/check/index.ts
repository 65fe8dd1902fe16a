/** The health checks engine: what the composition root and the API use. */
export { CheckSet, createProbe, needsProcessWatcher, type CheckSetDeps, type ProbeDeps } from './check-set.js';
export { CheckRunner, type CheckRunnerDeps, type CheckRunnerStatus, type CheckSummary, type CheckChangeListener, type CheckResultListener } from './check-runner.js';
export { priorityOf, contributionOf, OWNER_PRIORITY, type TrackedCheck, type TrackedCheckState, type TrackedPriority, type Contribution } from './priority.js';
export { ProcessWatcher, type ProcessEvents, type WatchedEvent, type WatchMode, type ProcessWatcherDeps } from './process-watcher.js';
export type { LinkEvents } from './link-events.js';
export type { Probe, ProbeResult, ProbeTime } from './probe.js';
export { scriptUserResolver, type UserResolver, type RunAs } from './user-resolver.js';
