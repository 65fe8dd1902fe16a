/**
 * V8 settings for a long-running daemon with little, short-lived garbage, set before the daemon's
 * modules load. V8 reads both flags when it needs them (at a young-generation resize, at a
 * major GC), so setting them at run time takes effect. Flags only the node command line can set
 * are in node-runtime.ts.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneV8ForDaemon(): void {
  // V8 doubles the young generation each time a scavenge finds much of it alive, up to 16 MB per
  // semi-space, and keeps it. Start-up (parsing a config of hundreds of instances) is enough to
  // grow it: at 200 instances about 12 MB of resident memory for nothing. A growth factor of 1
  // keeps it at 1 MB; scavenges get more frequent but stay cheap (docs/benchmarks.md, row 5).
  setFlagsFromString('--semi-space-growth-factor=1');
  // V8 drops the bytecode of functions that have not run for a few major GCs. A backup's
  // takeover path runs once at start-up (takeover-rehearsal.ts) and then perhaps not for
  // months: it must still be compiled when the master dies.
  setFlagsFromString('--no-flush-bytecode');
}

