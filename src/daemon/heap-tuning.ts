/**
 * V8 doubles the young generation each time a scavenge finds much of it alive, up to 16 MB per
 * semi-space, and keeps it. A daemon's garbage is small and short-lived (adverts, timers), but
 * startup (parsing a config of hundreds of instances) is enough to grow it: at 200 instances
 * that is about 12 MB of resident memory for nothing. With a growth factor of 1 it stays at its
 * initial 1 MB; scavenges get more frequent but stay cheap (measured in docs/benchmarks.md).
 * V8 reads the factor at each growth decision, so setting it at run time takes effect; the
 * heap size flags themselves would need the node command line.
 */
import { setFlagsFromString } from 'node:v8';

export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
