/**
 * Which event-log records a webhook gets: kinds by name, `prefix*` for a family (backup*, so
 * kinds the data subsystems add later match without a code change), `*` for all. Records about
 * webhook deliveries themselves are never sent (a failing receiver would feed itself).
 */
import type { EventRecord } from '../../api/daemon-control.js';

export function kindMatches(patterns: readonly string[], kind: string): boolean {
  return patterns.some((p) => p === '*' || p === kind || (p.endsWith('*') && kind.startsWith(p.slice(0, -1))));
}

export function wantsEvent(patterns: readonly string[], event: EventRecord): boolean {
  if (event.type === 'notification' && event.fields?.['channel'] === 'webhook') return false;
  return kindMatches(patterns, event.type);
}
